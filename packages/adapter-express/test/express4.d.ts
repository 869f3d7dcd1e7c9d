/** Express 4, installed under the alias `express4`, typed with the installed Express types. */
declare module "express4" {
  import express = require("express");
  export = express;
}
