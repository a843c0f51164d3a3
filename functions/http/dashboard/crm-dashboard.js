// The dashboard (/dashboard): charts of the CRM's reports, drawn with Chart.js from this same
// function (no CDN). It calls the API with the user's own token, so it shows what their role
// may read. The token comes from the page's fragment (`#token=…`, what `npm start` prints:
// a fragment never reaches a server), or from signing in with the stage's Cognito hosted UI
// (authorization code with PKCE, a public client), and is kept in this tab's sessionStorage.
(function () {
  'use strict';
  const TOKEN = 'crm-dashboard-token';
  const VERIFIER = 'crm-dashboard-pkce';
  const STATE = 'crm-dashboard-state';
  const signIn = JSON.parse(document.querySelector('meta[name="crm-sign-in"]')?.content || 'null');
  const apiBase = new URL('.', window.location.href.replace(/\/dashboard\/?(\?.*|#.*)?$/, '/')).href;
  const redirectUri = window.location.origin + window.location.pathname;
  const status = document.getElementById('status');

  const base64Url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const randomText = () => base64Url(crypto.getRandomValues(new Uint8Array(32)));

  async function startSignIn() {
    const verifier = randomText();
    const state = randomText();
    sessionStorage.setItem(VERIFIER, verifier);
    sessionStorage.setItem(STATE, state);
    const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const url = new URL('/oauth2/authorize', signIn.url);
    for (const [name, value] of Object.entries({ response_type: 'code', client_id: signIn.clientId, redirect_uri: redirectUri, scope: 'openid email profile', state, code_challenge: challenge, code_challenge_method: 'S256' })) {
      url.searchParams.set(name, value);
    }
    window.location.assign(url.href);
  }

  async function finishSignIn(code, state) {
    if (state !== sessionStorage.getItem(STATE)) throw new Error('The sign-in answer does not belong to this tab; sign in again.');
    const response = await fetch(new URL('/oauth2/token', signIn.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: signIn.clientId, code, redirect_uri: redirectUri, code_verifier: sessionStorage.getItem(VERIFIER) || '' }),
    });
    if (!response.ok) throw new Error(`Sign-in failed (${response.status}).`);
    // The access token carries the user's groups (their role), as the API reads them.
    const tokens = await response.json();
    sessionStorage.setItem(TOKEN, tokens.access_token);
    sessionStorage.removeItem(VERIFIER);
    sessionStorage.removeItem(STATE);
    window.history.replaceState(null, '', redirectUri);
  }

  async function token() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    if (fragment.get('token')) {
      sessionStorage.setItem(TOKEN, fragment.get('token'));
      window.history.replaceState(null, '', redirectUri);
    }
    const query = new URLSearchParams(window.location.search);
    // The sign-in refused (or the user cancelled): say so, rather than sending them straight back.
    if (query.get('error')) {
      window.history.replaceState(null, '', redirectUri);
      throw new Error(`Sign-in failed: ${query.get('error_description') || query.get('error')}. Reload to try again.`);
    }
    if (signIn && query.get('code')) await finishSignIn(query.get('code'), query.get('state'));
    const kept = sessionStorage.getItem(TOKEN);
    if (kept) return kept;
    if (signIn) {
      await startSignIn();
      return new Promise(() => {});
    }
    throw new Error('No token: open the dashboard URL `npm start` prints, or add #token=<npm run --silent token> to this address.');
  }

  async function api(path, bearer) {
    const response = await fetch(new URL(path, apiBase), { headers: { authorization: `Bearer ${bearer}` } });
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN);
      throw new Error('The token was refused (expired?): reload to sign in again.');
    }
    const body = await response.json();
    if (!response.ok) throw new Error(`${path}: ${body.detail || body.title || response.status}`);
    return body;
  }

  const money = (currency) => new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 0 });

  /** A chart, and the same numbers as a table under it (readable without the picture). */
  function chart(id, config, columns, rows) {
    const section = document.getElementById(id);
    const canvas = section.querySelector('canvas');
    new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) } });
    const table = section.querySelector('table');
    table.innerHTML = '';
    const head = table.createTHead().insertRow();
    for (const column of columns) head.insertCell().outerHTML = `<th scope="col">${column}</th>`;
    const body = table.createTBody();
    for (const row of rows) {
      const line = body.insertRow();
      for (const value of row) line.insertCell().textContent = String(value);
    }
    section.dataset.rendered = 'true';
  }

  const colors = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

  async function draw() {
    const bearer = await token();
    const [pipeline, forecast, winRate, activity] = await Promise.all([
      api('v1/reports/pipeline', bearer),
      api('v1/reports/forecast', bearer),
      api('v1/reports/win-rate', bearer),
      api('v1/reports/activity?interval=week', bearer),
    ]);
    const format = money(pipeline.currency);
    document.getElementById('currency').textContent = pipeline.currency;

    chart(
      'pipeline',
      {
        type: 'bar',
        data: {
          labels: pipeline.stages.map((stage) => stage.name),
          datasets: [
            { label: 'Amount', data: pipeline.stages.map((stage) => stage.amount), backgroundColor: colors[0] },
            { label: 'Weighted', data: pipeline.stages.map((stage) => stage.weightedAmount), backgroundColor: colors[1] },
          ],
        },
      },
      ['Stage', 'Open deals', 'Amount', 'Weighted'],
      pipeline.stages.map((stage) => [stage.name, stage.openDeals, format.format(stage.amount), format.format(stage.weightedAmount)]),
    );

    chart(
      'forecast',
      {
        type: 'bar',
        data: {
          labels: forecast.months.map((month) => month.month),
          datasets: [
            { label: 'Weighted open', data: forecast.months.map((month) => month.weightedAmount), backgroundColor: colors[2] },
            { label: 'Won', data: forecast.months.map((month) => month.wonAmount), backgroundColor: colors[1] },
          ],
        },
      },
      ['Month', 'Open deals', 'Weighted open', 'Won deals', 'Won'],
      forecast.months.map((month) => [month.month, month.openDeals, format.format(month.weightedAmount), month.wonDeals, format.format(month.wonAmount)]),
    );

    chart(
      'win-rate',
      {
        type: 'line',
        data: { labels: winRate.months.map((month) => month.month), datasets: [{ label: 'Win rate (%)', data: winRate.months.map((month) => (month.winRate === null ? null : Math.round(month.winRate * 100))), borderColor: colors[0], spanGaps: true }] },
        options: { scales: { y: { min: 0, max: 100 } } },
      },
      ['Month', 'Won', 'Lost', 'Win rate', 'Days to win'],
      winRate.months.map((month) => [month.month, month.wonDeals, month.lostDeals, month.winRate === null ? '–' : `${Math.round(month.winRate * 100)} %`, month.averageDaysToWin ?? '–']),
    );

    const kinds = [['calls', 'Calls'], ['meetings', 'Meetings'], ['emails', 'Emails'], ['notes', 'Notes'], ['tasksDone', 'Tasks done']];
    chart(
      'activity',
      {
        type: 'bar',
        data: { labels: activity.owners.map((owner) => owner.ownerId ?? 'unassigned'), datasets: kinds.map(([key, label], index) => ({ label, data: activity.owners.map((owner) => owner[key]), backgroundColor: colors[index] })) },
        options: { scales: { x: { stacked: true }, y: { stacked: true } } },
      },
      ['Owner', ...kinds.map(([, label]) => label)],
      activity.owners.map((owner) => [owner.ownerId ?? 'unassigned', ...kinds.map(([key]) => owner[key])]),
    );

    const unconverted = pipeline.unconverted.filter((entry) => entry.field === 'amount').map((entry) => `${entry.amount.toLocaleString()} ${entry.currency}`);
    status.textContent = `Reports as of ${new Date().toLocaleString()} (they follow changes about a second behind).${unconverted.length > 0 ? ` Open deals in currencies without a rate are counted but not in the amounts: ${unconverted.join(', ')} (an admin sets rates: PUT /v1/reports/settings).` : ''}`;
    document.body.dataset.state = 'ready';
  }

  draw().catch((error) => {
    status.textContent = error.message;
    status.className = 'error';
    document.body.dataset.state = 'failed';
  });
})();
