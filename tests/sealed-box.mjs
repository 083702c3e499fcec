// libsodium's sealed box (libsodium-wrappers, the library GitHub's own docs seal Actions secrets
// with), as a second implementation the platform's sealing and the fake GitHub are checked by.
// Usage: node tests/sealed-box.mjs keypair | seal <public b64> <text> | open <public b64> <secret b64> <sealed b64>
// Prints one JSON line.
import sodium from "libsodium-wrappers";

await sodium.ready;
const b64 = (bytes) => sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
const bytes = (text) => sodium.from_base64(text, sodium.base64_variants.ORIGINAL);
const [mode, ...args] = process.argv.slice(2);
let out;
if (mode === "keypair") {
  const pair = sodium.crypto_box_keypair();
  out = { public: b64(pair.publicKey), secret: b64(pair.privateKey) };
} else if (mode === "seal") {
  out = { sealed: b64(sodium.crypto_box_seal(sodium.from_string(args[1]), bytes(args[0]))) };
} else if (mode === "open") {
  const opened = sodium.crypto_box_seal_open(bytes(args[2]), bytes(args[0]), bytes(args[1]));
  out = { opened: sodium.to_string(opened) };
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify(out));
