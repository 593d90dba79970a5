// DPoP proofs (RFC 9449) for bench/run.py, which has only Python's standard library and
// so no ECDSA. One P-256 key per run, kept in a PKCS#8 file between invocations.
//   node dpop.mjs proofs <key file> <method> <url> <count>
//     one proof per line (token requests: no `ath`)
//   node dpop.mjs calls <key file> <method> <url> <tokens file> <count> <out> <parts>
//     `<token>\t<proof>` lines, tokens in turn, split into <out>.1 … <out>.<parts> (one
//     file per wrk thread, so that no proof is sent twice)
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';

const b64url = (data) => Buffer.from(data).toString('base64url');

function key(file) {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  }
  const privateKey = createPrivateKey(readFileSync(file));
  const { kty, crv, x, y } = privateKey.export({ format: 'jwk' });
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }));
  return { privateKey, header };
}

function proof({ privateKey, header }, method, url, ath) {
  const claims = { jti: b64url(randomBytes(12)), htm: method, htu: url.split('?')[0], iat: Math.floor(Date.now() / 1000) };
  if (ath) claims.ath = ath;
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
}

const [mode, keyFile, method, url, ...rest] = process.argv.slice(2);
const signer = key(keyFile);
if (mode === 'proofs') {
  const count = Number(rest[0]);
  for (let n = 0; n < count; n++) process.stdout.write(`${proof(signer, method, url)}\n`);
} else if (mode === 'calls') {
  const [tokensFile, count, out, parts] = [rest[0], Number(rest[1]), rest[2], Number(rest[3])];
  const tokens = readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean);
  const ath = tokens.map((token) => b64url(createHash('sha256').update(token).digest()));
  const files = Array.from({ length: parts }, (_, n) => createWriteStream(`${out}.${n + 1}`));
  for (let n = 0; n < count; n++) {
    const t = n % tokens.length;
    files[n % parts].write(`${tokens[t]}\t${proof(signer, method, url, ath[t])}\n`);
  }
  await Promise.all(files.map((file) => new Promise((done) => file.end(done))));
} else {
  throw new Error(`unknown mode ${mode}`);
}
