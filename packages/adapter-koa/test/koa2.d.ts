/** Koa 2, installed under the alias `koa2`, typed with the installed Koa types. */
declare module "koa2" {
  import Koa = require("koa");
  export = Koa;
}
