// A certified OpenID Connect provider (npm `oidc-provider`) on loopback, for the end-to-end
// tests of the PWA against an external provider. Configured as the brief asks: a public
// PKCE client for the PWA, JWT access tokens for our API's audience (RFC 8707 resource
// indicators), refresh-token rotation, DPoP, and the brief's scopes by person.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors, interactionPolicy } from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 3200);
const appOrigin = process.env.APP_ORIGIN ?? 'http://127.0.0.1:3101';
const issuer = `http://127.0.0.1:${port}`;
const RESOURCE = 'https://timesheets.test/api';
const AUDIENCE = process.env.OIDC_AUDIENCE ?? 'timesheets-api';
const ACCESS_TOKEN_SECS = Number(process.env.ACCESS_TOKEN_SECS ?? 30);
const EMPLOYEE = 'read:timesheets create:timesheets delete:timesheets';
const MANAGER = `${EMPLOYEE} approve:timesheets`;
// Projects only: people are managed at this provider, not by the app.
const ADMIN = `${MANAGER} manage:projects`;

// People: the dev login form takes any password; the login names the person.
const PEOPLE = {
  emma: { name: 'Emma Employee', email: 'emma@oidc.test', scopes: EMPLOYEE },
  maria: { name: 'Maria Manager', email: 'maria@oidc.test', scopes: MANAGER },
  adam: { name: 'Adam Admin', email: 'adam@oidc.test', scopes: ADMIN },
};

const jwk = (options) => {
  const { privateKey } = generateKeyPairSync(...options);
  return privateKey.export({ format: 'jwk' });
};
const keys = [
  // ID tokens are RS256 (the client's default), access tokens ES256: both paths are used.
  { ...jwk(['rsa', { modulusLength: 2048 }]), kid: 'e2e-rs256', use: 'sig', alg: 'RS256' },
  { ...jwk(['ec', { namedCurve: 'P-256' }]), kid: 'e2e-es256', use: 'sig', alg: 'ES256' },
];

// Like most providers, grant each person the scopes they may have out of those the app
// asks for, without a consent screen for scopes they may not have.
const policy = interactionPolicy.base();
policy.get('consent').checks.remove('rs_scopes_missing');

const configuration = {
  interactions: { policy },
  clients: [
    {
      client_id: 'timesheets-pwa',
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${appOrigin}/auth/callback`],
      post_logout_redirect_uris: [`${appOrigin}/`],
    },
  ],
  jwks: { keys },
  cookies: { keys: ['timesheets-e2e-only'] },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name', 'picture'], email: ['email', 'email_verified'] },
  async findAccount(_ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, name: person.name, email: person.email, email_verified: true }),
    };
  },
  // First-party app: no consent screen; the grant holds the person's scopes only.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) {
      const grant = await Grant.find(existing);
      if (grant) return grant;
    }
    const accountId = ctx.oidc.session.accountId;
    const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId });
    grant.addOIDCScope('openid profile email offline_access');
    grant.addResourceScope(RESOURCE, PEOPLE[accountId]?.scopes ?? '');
    await grant.save();
    return grant;
  },
  // The PWA restores sessions with prompt=none, which drops offline_access: renewal still
  // needs a refresh token, rotated at every use (the default for public clients).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  clientBasedCORS: (_ctx, origin) => origin === appOrigin,
  // When the person signed in, in the access token too (as the embedded provider does):
  // the API asks for a recent sign-in before a decision (RFC 9470).
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken') return undefined;
    const { AuthorizationCode, RefreshToken } = ctx.oidc.entities;
    const authTime = (AuthorizationCode ?? RefreshToken)?.authTime;
    return authTime ? { auth_time: authTime } : undefined;
  },
  ttl: { AccessToken: ACCESS_TOKEN_SECS, IdToken: 600, RefreshToken: 3600, Session: 3600, Grant: 3600 },
  features: {
    devInteractions: { enabled: true },
    // Sender-constrained tokens (RFC 9449) for clients that send proofs; Bearer otherwise.
    // Every proof must carry the provider's nonce (as Okta asks): the first token request
    // of a sign-in is answered `use_dpop_nonce` with a `DPoP-Nonce` to send again.
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx, resource) {
        if (resource !== RESOURCE) throw new errors.InvalidTarget();
        return {
          // Every scope someone here may hold: a grant carries only those of the person.
          scope: ADMIN,
          audience: AUDIENCE,
          accessTokenTTL: ACCESS_TOKEN_SECS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
};

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
