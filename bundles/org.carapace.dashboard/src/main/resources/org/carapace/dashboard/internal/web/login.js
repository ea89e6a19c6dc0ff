// The login form: posts JSON (the server refuses forms, against cross-site request forgery) and goes to the page.
'use strict';
document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = document.getElementById('login-error');
  error.hidden = true;
  const response = await fetch('/api/v1/login', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({
      user: document.getElementById('login-user').value,
      password: document.getElementById('login-password').value
    })
  });
  if (response.ok) {
    window.location.assign('/');
    return;
  }
  let message = 'login failed (' + response.status + ')';
  try {
    message = (await response.json()).error.message;
  } catch (ignored) {
    // keep the status line
  }
  error.textContent = message;
  error.hidden = false;
});
