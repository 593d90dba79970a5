// The browser's half of the embedded provider's passkey ceremonies (WebAuthn). Binary
// fields travel as unpadded base64url, as webauthn-rs writes and reads them. The answer
// goes back as an ordinary form post, so the redirect to the app is the usual one.
'use strict';
(() => {
  const bytes = (text) =>
    Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const text = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const descriptors = (list) => (list || []).map((d) => ({ ...d, id: bytes(d.id) }));

  function show(form, message) {
    let error = document.getElementById('passkey-error');
    if (!error) {
      error = document.createElement('p');
      error.id = 'passkey-error';
      error.className = 'error';
      error.setAttribute('role', 'alert');
      form.prepend(error);
    }
    error.textContent = message;
  }

  // What the person sees when the browser's dialog ends without a passkey.
  function explain(error) {
    if (error && error.name === 'NotAllowedError') return 'No passkey was used. Try again, or sign in with your password.';
    if (error && error.name === 'InvalidStateError') return 'This device has a passkey for you already.';
    return (error && error.message) || 'The passkey could not be used.';
  }

  async function signIn(form, button) {
    button.disabled = true;
    try {
      const body = new URLSearchParams({ request: form.request.value, csrf: form.csrf.value });
      const response = await fetch(form.dataset.options, { method: 'POST', body, credentials: 'same-origin' });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.message);
      const publicKey = answer.options.publicKey;
      publicKey.challenge = bytes(publicKey.challenge);
      publicKey.allowCredentials = descriptors(publicKey.allowCredentials);
      const credential = await navigator.credentials.get({ publicKey });
      const reply = credential.response;
      form.ceremony.value = answer.ceremony;
      form.credential.value = JSON.stringify({
        id: credential.id,
        rawId: text(credential.rawId),
        type: credential.type,
        response: {
          authenticatorData: text(reply.authenticatorData),
          clientDataJSON: text(reply.clientDataJSON),
          signature: text(reply.signature),
          userHandle: reply.userHandle ? text(reply.userHandle) : null,
        },
      });
      form.submit();
    } catch (error) {
      show(form, explain(error));
      button.disabled = false;
    }
  }

  async function enroll(form, button) {
    // Checked before the authenticator makes anything: a refused name would leave a
    // passkey on the device that the server never stored.
    const name = form.elements.name;
    name.value = name.value.trim();
    if (!form.reportValidity()) return;
    button.disabled = true;
    try {
      const publicKey = JSON.parse(form.dataset.options).publicKey;
      publicKey.challenge = bytes(publicKey.challenge);
      publicKey.user.id = bytes(publicKey.user.id);
      publicKey.excludeCredentials = descriptors(publicKey.excludeCredentials);
      const credential = await navigator.credentials.create({ publicKey });
      const reply = credential.response;
      form.credential.value = JSON.stringify({
        id: credential.id,
        rawId: text(credential.rawId),
        type: credential.type,
        response: {
          attestationObject: text(reply.attestationObject),
          clientDataJSON: text(reply.clientDataJSON),
          transports: reply.getTransports ? reply.getTransports() : undefined,
        },
      });
      form.submit();
    } catch (error) {
      show(form, explain(error));
      button.disabled = false;
    }
  }

  if (!window.PublicKeyCredential) return;
  document.getElementById('passkey-unsupported')?.remove();
  for (const [id, run] of [['passkey-form', signIn], ['passkey-enroll', enroll]]) {
    const form = document.getElementById(id);
    if (!form) continue;
    const button = form.querySelector('button');
    form.hidden = false;
    // The enrolment's button submits (Enter in the name field too): the form is sent by
    // the ceremony, never without it.
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(form, button);
    });
    if (button.type === 'button') button.addEventListener('click', () => run(form, button));
  }
})();
