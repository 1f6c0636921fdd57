/* Loads the vendored noble-ed25519 module for browsers without Ed25519 in WebCrypto (scan.js
   injects this as a module script: the Content-Security-Policy forbids eval-built import()). */
import * as ed from "./vendor/noble-ed25519.min.js";
window.svNobleEd25519 = ed;
