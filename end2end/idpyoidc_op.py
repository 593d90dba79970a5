"""A second, independent OpenID Connect provider for the end-to-end sign-in tests:
IdentityPython's `idpyoidc` (PyPI; the successor of the certified `oidc-op`), hosted by a
small Flask app, the way `oidc-provider.mjs` hosts node's `oidc-provider`.

    python3 end2end/idpyoidc_op.py      # IDPY_PORT (3202), APP_ORIGIN, OIDC_AUDIENCE

Configured as the suite expects: a public PKCE (S256) client for the PWA, JWT access tokens
(ES256, `typ: at+jwt`) for our API's audience living 30 seconds, refresh tokens rotated at
every use, revocation, RP-initiated logout, `prompt=none` from the provider's session
cookie, DPoP, and the brief's scopes by person. Everything lives in memory (and a temporary
working directory, removed on exit). Requirements: end2end/idpyoidc-requirements.txt.
"""

import base64
import hashlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings

# Run by a python3 without the requirements: re-run in the venv made for this provider.
VENV = os.path.expanduser("~/.cache/timesheets/tools/idpy-venv")
try:
    import idpyoidc  # noqa: F401
except ImportError:
    if os.path.exists(f"{VENV}/bin/python") and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(f"{VENV}/bin/python", [f"{VENV}/bin/python", *sys.argv])
    raise
from html import escape
from urllib.parse import urlparse

from cryptojwt import JWT, as_unicode
from cryptojwt.jwk.jwk import key_from_jwk_dict
from flask import Flask, Response, make_response, redirect, request
from werkzeug.serving import make_server

from idpyoidc.message.oauth2 import ResponseMessage
from idpyoidc.message.oidc import AccessTokenRequest, AuthorizationRequest
from idpyoidc.server import Server
from idpyoidc.server.authz import AuthzHandling
from idpyoidc.server.configure import OPConfiguration
from idpyoidc.server.exception import FailedAuthentication, OnlyForTestingWarning
from idpyoidc.server.oauth2.add_on import dpop
from idpyoidc.server.oauth2.add_on.pkce import CC_METHOD
from idpyoidc.server.oidc.authorization import Authorization as OidcAuthorization
from idpyoidc.server.oidc.session import Session
from idpyoidc.server.oidc.token import Token
from idpyoidc.server.oidc.token_helper.access_token import AccessTokenHelper
from idpyoidc.server.oidc.token_helper.refresh_token import RefreshTokenHelper
from idpyoidc.server.oidc.userinfo import UserInfo
from idpyoidc.server.scopes import SCOPE2CLAIMS
from idpyoidc.server.token.id_token import IDToken
from idpyoidc.server.token.jwt_token import JWTToken

PORT = int(os.environ.get("IDPY_PORT", "3202"))
APP_ORIGIN = os.environ.get("APP_ORIGIN", "http://127.0.0.1:3105").rstrip("/")
AUDIENCE = os.environ.get("OIDC_AUDIENCE", "timesheets-api")
ACCESS_TOKEN_SECS = int(os.environ.get("ACCESS_TOKEN_SECS", "30"))
ISSUER = f"http://127.0.0.1:{PORT}"
CLIENT_ID = "timesheets-pwa"
PASSWORD = "idpy-e2e-pass"

OIDC_SCOPES = ["openid", "profile", "email", "offline_access"]
EMPLOYEE = OIDC_SCOPES + ["read:timesheets", "create:timesheets", "delete:timesheets"]
MANAGER = EMPLOYEE + ["approve:timesheets"]
ADMIN = MANAGER + ["manage:projects"]

PEOPLE = {
    "emma": {"name": "Emma Employee", "email": "emma@idpy.test", "scopes": EMPLOYEE},
    "maria": {"name": "Maria Manager", "email": "maria@idpy.test", "scopes": MANAGER},
    "adam": {"name": "Adam Admin", "email": "adam@idpy.test", "scopes": ADMIN},
}

# The claims behind each scope; the API's scopes carry none, but must be known to be granted.
SCOPES_TO_CLAIMS = dict(SCOPE2CLAIMS)
SCOPES_TO_CLAIMS.update({scope: [] for scope in ADMIN if scope not in SCOPES_TO_CLAIMS})

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page_header }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>{{ page_header }}</h1>
<form action="{{ action }}" method="post">
  <input type="hidden" name="token" value="{{ token }}">
  <p><label for="username">{{ user_label }}</label>
     <input id="username" name="username" autocomplete="username" required></p>
  <p><label for="password">{{ passwd_label }}</label>
     <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <button type="submit">{{ submit_btn }}</button>
</form>
</main></body></html>
"""

LOGOUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign out</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Sign out of {op}?</h1>
<form action="/rp_logout" method="post">
  <input type="hidden" name="sjwt" value="{sjwt}">
  <button type="submit">Yes, sign me out</button>
</form>
</main></body></html>
"""


class Passwords:
    """The user database of the login form: one known password for everyone."""

    def __init__(self, **_):
        pass

    def __contains__(self, user):
        return user in PEOPLE

    def __getitem__(self, user):
        if user not in PEOPLE:
            raise KeyError(user)
        return PASSWORD


class PeopleAuthz(AuthzHandling):
    """Grants each person the scopes they may have out of those asked for (no consent page),
    and makes the access tokens for our API's audience."""

    def __call__(self, session_id, request, resources=None):
        context = self.upstream_get("context")
        info = context.session_manager.get_session_info(session_id=session_id, grant=True)
        grant = info["grant"]
        for key, value in self.grant_config.items():
            if key == "expires_in":
                grant.set_expires_at(value)
            elif key == "usage_rules":
                grant.usage_rules = self.usage_rules(info["client_id"])
            else:
                setattr(grant, key, value)
        grant.resources = [AUDIENCE]
        allowed = PEOPLE.get(info["user_id"], {}).get("scopes", [])
        asked = request.get("scope", [])
        grant.scope = [scope for scope in asked if scope in allowed]
        grant.claims = context.claims_interface.get_claims_all_usage(
            session_id=session_id, scopes=grant.scope
        )
        return grant


class AccessToken(JWTToken):
    """RFC 9068 access tokens: `typ: at+jwt`, `scope` a space-separated string."""

    def __call__(self, session_id="", token_class="", usage_rules=None, profile=None,
                 with_jti=None, **payload):
        payload.update({"sid": session_id, "token_class": token_class or self.token_class})
        scope = payload.get("scope")
        if isinstance(scope, list):
            payload["scope"] = " ".join(scope)
        if isinstance(payload.get("aud"), list) and len(payload["aud"]) == 1:
            payload["aud"] = payload["aud"][0]
        lifetime = (usage_rules or {}).get("expires_in", self.lifetime)
        signer = JWT(
            key_jar=self.upstream_get("attribute", "keyjar"),
            iss=self.issuer,
            lifetime=lifetime,
            sign_alg=self.alg,
        )
        signer.with_jti = True
        return signer.pack(payload, jws_headers={"typ": "at+jwt"})


def _dpop_proof(request, client_id, context, http_info=None, **kwargs):
    """Binds the tokens to the key of the request's DPoP proof, when it has one, with the
    `dpop` add-on's own check of the proof (signature, typ, htm, htu); Bearer otherwise."""
    headers = (http_info or {}).get("headers", {})
    if isinstance(request, ResponseMessage) and "error" in request:
        return request
    if not headers.get("dpop"):
        return request
    try:
        request = dpop.token_post_parse_request(request, client_id, context, http_info=http_info)
        # (The add-on does not look at the proof's age; RFC 9449 §4.3 asks for a recent one.)
        proof = dpop.DPoPProof().verify_header(headers["dpop"])
        proof.verify()
        if abs(proof["iat"] - time.time()) > 120:
            raise ValueError("the proof is too old or from the future")
        return request
    except Exception as err:  # a bad proof
        return Token.error_cls(error="invalid_dpop_proof", error_description=str(err))


class FirstPartyAuthorizationRequest(AuthorizationRequest):
    """idpyoidc enforces OIDC Core §11 to the letter: `offline_access` without
    `prompt=consent` is refused (`consent in prompt`). §11 allows "other conditions ...
    permitting offline access": here, the first-party PWA, which has no consent page and
    asks for `offline_access` at every sign-in (also with `prompt=none`)."""

    def verify(self, **kwargs):
        scope = self.get("scope", [])
        if "offline_access" in scope and "consent" not in self.get("prompt", []):
            self["scope"] = [name for name in scope if name != "offline_access"]
            try:
                return super().verify(**kwargs)
            finally:
                self["scope"] = scope
        return super().verify(**kwargs)


class Authorization(OidcAuthorization):
    request_cls = FirstPartyAuthorizationRequest

    def create_authn_response(self, request, sid):
        # The answer's `scope` (idpyoidc adds one): what was granted, not what was asked for.
        info = super().create_authn_response(request, sid)
        answer = info.get("response_args")
        if answer is not None and "scope" in answer:
            grant = self.upstream_get("context").session_manager.get_session_info(sid, grant=True)["grant"]
            answer["scope"] = grant.scope
        return info


class IdToken(IDToken):
    """ID tokens for the client alone: idpyoidc hands the access token's claims to the ID
    token too, so its `aud` would name our API as well (and, on renewal, it would carry the
    access token's `scope`, `cnf` and `jti`)."""

    def __call__(self, session_id="", ttype="", encrypt=False, code=None, access_token=None,
                 usage_rules=None, **kwargs):
        for name in ("aud", "scope", "cnf", "jti", "token_class"):
            kwargs.pop(name, None)
        return super().__call__(session_id, ttype, encrypt, code, access_token, usage_rules, **kwargs)


def username_sub(user_id, **_):
    """`sub`: the login name (idpyoidc's default is a salted hash of it)."""
    return user_id


class EndSession(Session):
    """RP-initiated logout is a browser redirect: no client authentication. (idpyoidc's
    own would match the `client_id` parameter as a "public" client and then look for the
    access token that client authentication found, and fail.)"""

    def client_authentication(self, request, http_info=None, **kwargs):
        return {}


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _userinfo_dpop(request, client_id, context, auth_info=None, http_info=None, **kwargs):
    """At the userinfo endpoint, a DPoP-bound access token (`cnf.jkt`) needs a proof by its
    key, over this request and this token (RFC 9449 §7); a Bearer token needs none.
    (Replaces the add-on's check, which wants a proof for every token and compares `ath`
    with a hex digest rather than RFC 9449's base64url one.)"""
    if isinstance(request, ResponseMessage) and "error" in request:
        return request
    token = (auth_info or {}).get("token", "")
    try:
        body = token.split(".")[1]
        jkt = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))).get("cnf", {}).get("jkt")
    except Exception:
        jkt = None
    if not jkt:
        return request
    headers = (http_info or {}).get("headers", {})
    if not headers.get("authorization", "").startswith("DPoP ") or not headers.get("dpop"):
        return UserInfo.error_cls(error="invalid_token", error_description="DPoP-bound token: DPoP proof needed")
    try:
        proof = dpop.DPoPProof().verify_header(headers["dpop"])
        proof.verify()
    except Exception as err:
        return UserInfo.error_cls(error="invalid_dpop_proof", error_description=str(err))
    url = http_info["url"].split("?")[0]
    if (proof.get("htm") != http_info["method"] or proof.get("htu") != url
            or proof.get("ath") != _b64url(hashlib.sha256(token.encode()).digest())
            or abs(proof.get("iat", 0) - time.time()) > 120
            or as_unicode(key_from_jwk_dict(proof["jwk"]).thumbprint("SHA-256")) != jkt):
        return UserInfo.error_cls(error="invalid_dpop_proof", error_description="proof does not match")
    return request


class RefreshHelper(RefreshTokenHelper):
    """idpyoidc's refresh grant, whose answer to a used (rotated) or revoked refresh token
    is `invalid_grant` (RFC 6749 §5.2) rather than its `invalid_request`; and a refresh
    token bound to a DPoP key is only taken with a proof by that key (RFC 9449 §5)."""

    def post_parse_request(self, request, client_id="", **kwargs):
        result = super().post_parse_request(request, client_id, **kwargs)
        if isinstance(result, ResponseMessage) and result.get("error") == "invalid_request":
            if result.get("error_description") in ("Refresh token inactive",):
                result["error"] = "invalid_grant"
        return result

    def process_request(self, req, **kwargs):
        context = self.endpoint.upstream_get("context")
        info = context.session_manager.get_session_info_by_token(
            req["refresh_token"], handler_key="refresh_token", grant=True
        )
        if not info["grant"].is_active():
            # Its session ended (RP-initiated logout revokes the grant, not each token).
            return self.error_cls(error="invalid_grant", error_description="Session ended")
        bound = info["grant"].extra.get("dpop_jkt")
        if bound and req.get("dpop_jkt") != bound:
            return self.error_cls(
                error="invalid_grant", error_description="DPoP proof by the token's key needed"
            )
        return super().process_request(req, **kwargs)


def configuration(workdir):
    # idpyoidc renders its login form from a Jinja2 template folder.
    os.makedirs(os.path.join(workdir, "templates"), exist_ok=True)
    with open(os.path.join(workdir, "templates", "login.html"), "w") as page:
        page.write(LOGIN_PAGE)

    return {
        "issuer": ISSUER,
        "template_dir": os.path.join(workdir, "templates"),
        "keys": {
            "key_defs": [
                {"type": "RSA", "use": ["sig"]},
                {"type": "EC", "crv": "P-256", "use": ["sig"]},
            ],
            "uri_path": "jwks",
            "read_only": False,
        },
        "cookie_handler": {
            "class": "idpyoidc.server.cookie_handler.CookieHandler",
            "kwargs": {
                "keys": {
                    "key_defs": [
                        {"type": "OCT", "use": ["enc"], "kid": "enc"},
                        {"type": "OCT", "use": ["sig"], "kid": "sig"},
                    ],
                    "read_only": False,
                },
                "name": {
                    "session": "idpy_session",
                    "register": "idpy_rp",
                    "session_management": "idpy_sman",
                },
            },
        },
        "preference": {"subject_types_supported": ["public"]},
        "session_params": {"sub_func": {"public": {"function": f"{__name__}.username_sub"}}},
        "scopes_to_claims": SCOPES_TO_CLAIMS,
        "add_on": {
            "pkce": {
                "function": "idpyoidc.server.oauth2.add_on.pkce.add_support",
                "kwargs": {"essential": True, "code_challenge_methods": {"S256": CC_METHOD["S256"]}},
            },
            "dpop": {
                "function": "idpyoidc.server.oauth2.add_on.dpop.add_support",
                "kwargs": {
                    "dpop_signing_alg_values_supported": ["ES256"],
                    "dpop_endpoints": ["userinfo"],
                },
            },
        },
        "authz": {
            "class": PeopleAuthz,
            "kwargs": {
                "grant_config": {
                    "usage_rules": {
                        "authorization_code": {
                            "supports_minting": ["access_token", "refresh_token", "id_token"],
                            "max_usage": 1,
                            "expires_in": 120,
                        },
                        "access_token": {"expires_in": ACCESS_TOKEN_SECS},
                        "refresh_token": {
                            "supports_minting": ["access_token", "refresh_token", "id_token"],
                            "expires_in": 3600,
                        },
                    },
                    "expires_in": 3600,
                }
            },
        },
        "authentication": {
            "user": {
                "acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:InternetProtocolPassword",
                "class": "idpyoidc.server.user_authn.user.UserPassJinja2",
                "kwargs": {
                    "verify_endpoint": "/verify/user",
                    "template": "login.html",
                    "db": {"class": Passwords, "kwargs": {}},
                    "page_header": "Sign in to idpyoidc",
                    "submit_btn": "Sign in",
                    "user_label": "Username",
                    "passwd_label": "Password",
                },
            }
        },
        "userinfo": {
            "class": "idpyoidc.server.user_info.UserInfo",
            "kwargs": {
                "db": {
                    user: {"name": p["name"], "email": p["email"], "email_verified": True}
                    for user, p in PEOPLE.items()
                }
            },
        },
        "claims_interface": {"class": "idpyoidc.server.session.claims.ClaimsInterface", "kwargs": {}},
        "token_handler_args": {
            "jwks_def": {
                "private_path": os.path.join(workdir, "token_jwks.json"),
                "key_defs": [
                    {"type": "OCT", "bytes": 24, "use": ["enc"], "kid": "code"},
                    {"type": "OCT", "bytes": 24, "use": ["enc"], "kid": "refresh"},
                ],
                "read_only": False,
            },
            "code": {"kwargs": {"lifetime": 120}},
            "token": {
                "class": f"{__name__}.AccessToken",
                "kwargs": {
                    "lifetime": ACCESS_TOKEN_SECS,
                    "alg": "ES256",
                    "add_claims_by_scope": True,
                },
            },
            "refresh": {"kwargs": {"lifetime": 3600}},
            "id_token": {
                "class": f"{__name__}.IdToken",
                "kwargs": {"lifetime": 600, "add_claims_by_scope": True},
            },
        },
        "endpoint": {
            "provider_info": {
                "path": ".well-known/openid-configuration",
                "class": "idpyoidc.server.oidc.provider_config.ProviderConfiguration",
                "kwargs": {"client_authn_method": None},
            },
            "authorization": {
                "path": "authorization",
                "class": f"{__name__}.Authorization",
                "kwargs": {
                    "client_authn_method": None,
                    "claims_parameter_supported": False,
                    "request_parameter_supported": False,
                    "request_uri_parameter_supported": False,
                    "response_types_supported": ["code"],
                    "response_modes_supported": ["query"],
                },
            },
            "token": {
                "path": "token",
                "class": "idpyoidc.server.oidc.token.Token",
                "kwargs": {
                    "client_authn_method": ["public"],
                    "revoke_refresh_on_issue": True,
                    "grant_types_helpers": {
                        "authorization_code": {"class": AccessTokenHelper},
                        "refresh_token": {"class": RefreshHelper},
                    },
                },
            },
            "userinfo": {
                "path": "userinfo",
                "class": "idpyoidc.server.oidc.userinfo.UserInfo",
                "kwargs": {
                    "claim_types_supported": ["normal"],
                    "client_authn_method": ["bearer_header", "dpop"],
                },
            },
            "token_revocation": {
                "path": "revocation",
                "class": "idpyoidc.server.oauth2.token_revocation.TokenRevocation",
                "kwargs": {
                    "client_authn_method": ["public"],
                    "token_types_supported": ["access_token", "refresh_token"],
                },
            },
            "end_session": {
                "path": "session",
                "class": f"{__name__}.EndSession",
                "kwargs": {
                    "client_authn_method": None,
                    "logout_verify_url": f"{ISSUER}/verify_logout",
                    "post_logout_uri_path": "post_logout",
                    "signing_alg": "ES256",
                    "frontchannel_logout_supported": False,
                    "backchannel_logout_supported": False,
                },
            },
        },
        "client_db": {},
    }


def build_server(workdir):
    conf = OPConfiguration(configuration(workdir), domain="127.0.0.1", port=PORT)
    server = Server(conf, cwd=workdir)
    context = server.context
    context.cdb[CLIENT_ID] = {
        "client_id": CLIENT_ID,
        "client_salt": "timesheets-e2e",
        "token_endpoint_auth_method": "none",
        "application_type": "web",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "redirect_uris": [(f"{APP_ORIGIN}/auth/callback", {})],
        "post_logout_redirect_uri": [(f"{APP_ORIGIN}/", {})],
        "allowed_scopes": ADMIN,
        "pkce_essential": True,
        "id_token_signed_response_alg": "RS256",
    }
    # The token endpoint binds tokens to the key of the request's DPoP proof; the userinfo
    # endpoint checks proofs for bound tokens only.
    server.endpoint["token"].post_parse_request.append(_dpop_proof)
    checks = server.endpoint["userinfo"].post_parse_request
    checks[:] = [c for c in checks if c is not dpop.userinfo_post_parse_request] + [_userinfo_dpop]
    # What this provider does, in its discovery document. (idpyoidc computes the document
    # after running the add-ons, which drops the `dpop` add-on's entry: put back.)
    context.provider_info.update(
        {
            "jwks_uri": f"{ISSUER}/jwks",
            "dpop_signing_alg_values_supported": ["ES256"],
            "scopes_supported": ADMIN,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "frontchannel_logout_supported": False,
            "backchannel_logout_supported": False,
        }
    )
    for name in ("token_endpoint_auth_methods", "revocation_endpoint_auth_methods",
                 "frontchannel_logout_session_required", "backchannel_logout_session_required"):
        context.provider_info.pop(name, None)
    return server


# --- The web server ----------------------------------------------------------------------

app = Flask(__name__)
logging.getLogger("werkzeug").setLevel(logging.WARNING)
SERVER = None

CORS_PATHS = {"/token", "/revocation", "/userinfo", "/jwks", "/.well-known/openid-configuration"}


@app.after_request
def cors(response):
    if request.path in CORS_PATHS and request.headers.get("Origin") == APP_ORIGIN:
        response.headers["Access-Control-Allow-Origin"] = APP_ORIGIN
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Expose-Headers"] = "DPoP-Nonce, WWW-Authenticate"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, DPoP"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


def set_cookies(response, cookies):
    for cookie in cookies or []:
        if cookie.get("expires", "").startswith("Thu, 01 Jan 1970") or not cookie.get("value"):
            response.delete_cookie(cookie["name"], path="/", httponly=True, samesite="Lax")
        else:
            response.set_cookie(cookie["name"], cookie["value"], path="/", httponly=True, samesite="Lax")


def json_error(error, description, status=400):
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status=status, content_type="application/json")


def http_info():
    return {
        "headers": {k.lower(): v for k, v in request.headers.items() if k.lower() != "cookie"},
        "method": request.method,
        "url": request.base_url,
        "cookie": [{"name": k, "value": v} for k, v in request.cookies.items()],
    }


def respond(endpoint, req_args, info, with_cookies=True):
    """An idpyoidc endpoint's answer as an HTTP response."""
    if "redirect_location" in info:
        return redirect(info["redirect_location"])
    if "http_response" in info:
        return make_response(info["http_response"], 200)
    error = info.pop("error", "")
    out = endpoint.do_response(request=req_args, error=error, **info)
    placement = out.get("response_placement", endpoint.response_placement)
    if placement == "url":
        response = redirect(out["response"])
    else:
        status = out.get("response_code", 400 if error else 200)
        response = make_response(out["response"], status)
    for key, value in out["http_headers"]:
        response.headers[key] = value
    if with_cookies and "cookie" in out:
        set_cookies(response, out["cookie"])
    return response


def service(name, with_cookies=True):
    endpoint = SERVER.get_endpoint(name)
    info = http_info()
    if request.method == "GET":
        raw = request.args.to_dict()
    else:
        raw = request.form.to_dict()
    try:
        req = endpoint.parse_request(raw, http_info=info)
    except Exception as err:
        status = 401 if endpoint.name in ("token", "token_revocation") else 400
        return json_error("invalid_client" if status == 401 else "invalid_request", str(err), status)
    if isinstance(req, ResponseMessage) and "error" in req:
        # (idpyoidc answers a bad authorization request, e.g. without PKCE, here too.)
        return Response(req.to_json(), status=400, content_type="application/json")
    try:
        if name == "token":
            result = endpoint.process_request(AccessTokenRequest(**req), http_info=info)
        else:
            result = endpoint.process_request(req, http_info=info)
    except Exception as err:
        app.logger.exception("processing failed")
        return json_error("server_error", str(err), 500)
    if isinstance(result, ResponseMessage) and "error" in result:
        return Response(result.to_json(), status=400, content_type="application/json")
    return respond(endpoint, req, result, with_cookies)


@app.route("/.well-known/openid-configuration", methods=["GET", "OPTIONS"])
def discovery():
    if request.method == "OPTIONS":
        return Response(status=204)
    return service("provider_config")


@app.route("/jwks", methods=["GET", "OPTIONS"])
def jwks():
    if request.method == "OPTIONS":
        return Response(status=204)
    keys = SERVER.context.keyjar.export_jwks(issuer_id="")
    return Response(json.dumps(keys), content_type="application/json")


@app.route("/authorization")
def authorization():
    return service("authorization")


@app.route("/verify/user", methods=["POST"])
def verify_user():
    endpoint = SERVER.get_endpoint("authorization")
    method = SERVER.context.authn_broker.get_method_by_id("user")
    form = request.form.to_dict()
    try:
        user = method.verify(**form)
    except (FailedAuthentication, KeyError):
        # The form again, with the same sign-in request.
        page = method.template_handler.render(
            method.template, action=method.action, token=form.get("token", ""), **method.kwargs
        )
        return make_response(page.replace("<form", '<p role="alert">Wrong username or password.</p><form', 1), 401)
    try:
        auth_args = method.unpack_token(form["token"])
    except Exception:
        return json_error("invalid_request", "the sign-in form has expired")
    authz_request = AuthorizationRequest().from_urlencoded(auth_args["query"])
    session_id = endpoint.create_session(
        authz_request, user, auth_args["authn_class_ref"], auth_args["iat"], method
    )
    result = endpoint.authz_part2(request=authz_request, session_id=session_id)
    if isinstance(result, ResponseMessage) and "error" in result:
        return json_error(result["error"], result.get("error_description", ""))
    return respond(endpoint, authz_request, result)


@app.route("/token", methods=["POST", "OPTIONS"])
def token():
    if request.method == "OPTIONS":
        return Response(status=204)
    # The token endpoint also sets idpyoidc's session cookie: not wanted from an XHR.
    return service("token", with_cookies=False)


@app.route("/userinfo", methods=["GET", "POST", "OPTIONS"])
def userinfo():
    if request.method == "OPTIONS":
        return Response(status=204)
    return service("userinfo", with_cookies=False)


@app.route("/revocation", methods=["POST", "OPTIONS"])
def revocation():
    if request.method == "OPTIONS":
        return Response(status=204)
    return service("token_revocation", with_cookies=False)


@app.route("/session")
def end_session():
    return service("session")


@app.route("/verify_logout")
def verify_logout():
    sjwt = request.args.get("sjwt", "")
    return LOGOUT_PAGE.format(op=escape(urlparse(ISSUER).netloc), sjwt=escape(sjwt, quote=True))


@app.route("/rp_logout", methods=["POST"])
def rp_logout():
    endpoint = SERVER.get_endpoint("session")
    try:
        info = endpoint.unpack_signed_jwt(request.form["sjwt"])
    except Exception as err:
        return json_error("invalid_request", f"bad logout request: {err}")
    # This person's session at this client ends: its grants and their tokens are revoked.
    # (`alla=True` would revoke only at clients with front-/back-channel logout URIs.)
    endpoint.do_verified_logout(alla=False, **info)
    response = redirect(info["redirect_uri"])
    set_cookies(response, endpoint.kill_cookies())
    return response


@app.route("/post_logout")
def post_logout():
    return "<!doctype html><title>Signed out</title><p>You are signed out.</p>"


def main():
    global SERVER
    workdir = tempfile.mkdtemp(prefix="idpyoidc-op-")

    def stop(*_):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The login form is "only for testing": what this provider is for.
    warnings.filterwarnings("ignore", category=OnlyForTestingWarning)
    try:
        os.chdir(workdir)  # anything idpyoidc writes stays in the temporary folder
        logging.basicConfig(level=os.environ.get("IDPY_LOG", "WARNING"))
        SERVER = build_server(workdir)
        # Threaded (a browser's idle pre-connections must not block the others), one
        # request at a time inside idpyoidc.
        lock = threading.Lock()
        flask_app = app.wsgi_app

        def serialized(environ, start_response):
            with lock:
                return flask_app(environ, start_response)

        app.wsgi_app = serialized
        httpd = make_server("127.0.0.1", PORT, app, threaded=True)
        print(f"idpyoidc listening on {ISSUER}", flush=True)
        httpd.serve_forever()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
