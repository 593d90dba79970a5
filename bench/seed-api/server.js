// A re-creation of the seed scenario's Node.js API, as `make bench` measures it: express,
// express-jwt and jwks-rsa verifying the same access tokens as ours (signature from the
// issuer's JWKS, iss, aud, exp), scopes checked per route, entries kept in memory.
// It is the floor our API is compared with (bench/run.py prints the ratio), not a product.
//
//   SEED_ISSUER=http://127.0.0.1:3901 SEED_JWKS_URI=http://127.0.0.1:3901/oauth/jwks \
//   SEED_AUDIENCE=timesheets-api PORT=3990 node server.js
'use strict';

const express = require('express');
const { expressjwt } = require('express-jwt');
const jwksRsa = require('jwks-rsa');

const issuer = process.env.SEED_ISSUER;
const audience = process.env.SEED_AUDIENCE || 'timesheets-api';
const port = Number(process.env.PORT || 3990);
if (!issuer) throw new Error('set SEED_ISSUER to the issuer whose tokens to accept');

const app = express();
app.use(express.json());

const checkJwt = expressjwt({
  secret: jwksRsa.expressJwtSecret({
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 5,
    jwksUri: process.env.SEED_JWKS_URI || `${issuer}/.well-known/jwks.json`,
  }),
  audience,
  issuer,
  algorithms: ['RS256', 'ES256'],
});

// What express-jwt-authz did for the seed: every listed scope must be granted.
const checkScopes = (...needed) => (req, res, next) => {
  const granted = String(req.auth.scope || '').split(' ');
  if (needed.every((scope) => granted.includes(scope))) return next();
  res.status(403).json({ message: 'Insufficient scope' });
};

const timesheets = [];
let nextId = 1;

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));

app.get('/api/timesheets', checkJwt, checkScopes('read:timesheets'), (req, res) => {
  res.json(timesheets.filter((entry) => entry.user_id === req.auth.sub));
});

app.post('/api/timesheets', checkJwt, checkScopes('create:timesheets'), (req, res) => {
  const { project, date, hours } = req.body || {};
  const entry = { id: nextId++, user_id: req.auth.sub, date, project, hours, approved: false };
  timesheets.push(entry);
  res.status(201).json(entry);
});

app.get('/api/approvals', checkJwt, checkScopes('approve:timesheets'), (req, res) => {
  res.json(timesheets.filter((entry) => !entry.approved));
});

app.put('/api/approvals/:id', checkJwt, checkScopes('approve:timesheets'), (req, res) => {
  const entry = timesheets.find((candidate) => candidate.id === Number(req.params.id));
  if (!entry) return res.status(404).json({ message: 'Timesheet not found' });
  entry.approved = true;
  res.json(entry);
});

app.use((err, req, res, next) => {
  if (err.name === 'UnauthorizedError') return res.status(401).json({ message: err.message });
  next(err);
});

app.listen(port, '127.0.0.1', () => console.log(`seed API on http://127.0.0.1:${port}`));
