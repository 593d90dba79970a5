// Another device of a person, outside the browser: it signs in at the provider over HTTP
// with a DPoP key of its own (as a native app would: code flow, PKCE, the provider's login
// form) and calls the API with a fresh proof per request. Tokens copied out of a page are
// bound to that page's key and refused here; this is how the tests act "elsewhere".
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { expect } from '@playwright/test';
import type { ProviderUnderTest, Who } from './support';

const CLIENT_ID = 'timesheets-pwa';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/// A P-256 key that makes DPoP proofs (RFC 9449 §4.2).
export class ProofKey {
  readonly privateKey: KeyObject;
  readonly jwk: { kty: string; crv: string; x: string; y: string };

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.privateKey = privateKey;
    this.jwk = { kty, crv, x, y };
  }

  /// The key's JWK SHA-256 thumbprint (RFC 7638).
  thumbprint(): string {
    const { crv, kty, x, y } = this.jwk;
    return b64url(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
  }

  /// A proof for `method` `url`, with `ath` when an access token goes with it.
  proof(method: string, url: string, accessToken?: string, claims: Record<string, unknown> = {}): string {
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: this.jwk };
    const payload: Record<string, unknown> = {
      jti: b64url(randomBytes(16)),
      htm: method,
      htu: url.split(/[?#]/)[0],
      iat: Math.floor(Date.now() / 1000),
      ...claims,
    };
    if (accessToken) payload.ath = b64url(createHash('sha256').update(accessToken).digest());
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(signature)}`;
  }
}

/// A cookie jar just good enough for one provider's login: every cookie, sent everywhere.
class Cookies {
  private readonly jar = new Map<string, string>();

  keep(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }

  header(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
}

export class Device {
  private tokens: Tokens;
  private expiresAt: number;

  private constructor(
    readonly provider: ProviderUnderTest,
    readonly key: ProofKey,
    tokens: Tokens,
  ) {
    this.tokens = tokens;
    this.expiresAt = Date.now() + tokens.expires_in * 1000;
  }

  /// Signs `who` in at `provider` with a new key.
  static async signIn(provider: ProviderUnderTest, who: Who): Promise<Device> {
    const key = new ProofKey();
    const code = await authorizationCode(provider, who);
    const answer = await postForm(provider.tokenEndpoint, key, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: code.redirectUri,
      client_id: CLIENT_ID,
      code_verifier: code.verifier,
    });
    expect(answer.status, 'the device redeems its code').toBe(200);
    const tokens = (await answer.json()) as Tokens;
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    return new Device(provider, key, tokens);
  }

  /// `method path` on the provider's app with this device's token and a fresh proof.
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    if (Date.now() > this.expiresAt - 5_000) await this.renew();
    const url = `${this.provider.app}${path}`;
    return fetch(url, {
      method,
      headers: {
        Authorization: `DPoP ${this.tokens.access_token}`,
        DPoP: this.key.proof(method, url, this.tokens.access_token),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async renew() {
    const answer = await postForm(this.provider.tokenEndpoint, this.key, {
      grant_type: 'refresh_token',
      refresh_token: this.tokens.refresh_token ?? '',
      client_id: CLIENT_ID,
    });
    expect(answer.status, 'the device renews its tokens').toBe(200);
    this.tokens = (await answer.json()) as Tokens;
    this.expiresAt = Date.now() + this.tokens.expires_in * 1000;
  }
}

/// The last `DPoP-Nonce` each token endpoint sent.
const nonces = new Map<string, string>();

/// `POST url` form-encoded, with a proof of `key` (none without one); sent once more with
/// the provider's nonce when it asks for one (`use_dpop_nonce`, RFC 9449 §8).
export async function postForm(url: string, key: ProofKey | undefined, form: Record<string, string>): Promise<Response> {
  const send = (nonce: string | undefined) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...(key ? { DPoP: key.proof('POST', url, undefined, nonce ? { nonce } : {}) } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
  const response = await send(nonces.get(url));
  const next = response.headers.get('dpop-nonce');
  if (next) nonces.set(url, next);
  if (key && next && response.status === 400) {
    const answer = await response
      .clone()
      .json()
      .catch(() => ({}));
    if (answer.error === 'use_dpop_nonce') return send(next);
  }
  return response;
}

/// The PWA's authorization request answered by logging in on the provider's form.
async function authorizationCode(provider: ProviderUnderTest, who: Who) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const redirectUri = `${provider.app}/auth/callback`;
  const discovery = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access read:timesheets create:timesheets delete:timesheets approve:timesheets manage:projects manage:people',
    state,
    nonce: b64url(randomBytes(16)),
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  const cookies = new Cookies();
  const send = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), Cookie: cookies.header() },
    });
    cookies.keep(response);
    return response;
  };
  // Follow the provider's pages until it sends the browser back with a code.
  let response = await send(authorize.toString());
  for (let step = 0; step < 10; step++) {
    const location = response.headers.get('location');
    if (location?.startsWith(redirectUri)) {
      const params = new URL(location).searchParams;
      expect(params.get('state')).toBe(state);
      return { code: params.get('code')!, verifier, redirectUri };
    }
    if (location) {
      response = await send(new URL(location, response.url || authorize).toString());
      continue;
    }
    const page = await response.text();
    const form = provider.loginForm(who, page);
    const action = new URL(form.action, response.url || authorize.toString()).toString();
    response = await send(action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: new URL(action).origin },
      body: new URLSearchParams(form.fields).toString(),
    });
  }
  throw new Error(`no code from ${provider.name}`);
}
