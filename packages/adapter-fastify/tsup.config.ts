export { default } from "../../tsup.package";
