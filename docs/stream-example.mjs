// Streams one message from Command Center's SSE API with fetch (EventSource cannot POST), and resumes it with
// Last-Event-ID if the connection drops: the reply runs on the server either way, so nothing is lost or repeated.
const base = process.env.CC_URL ?? 'http://127.0.0.1:5000';
const login = await fetch(`${base}/api/auth/login`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ email: process.env.CC_EMAIL, password: process.env.CC_PASSWORD }),
});
const { accessToken } = await login.json();
const auth = { 'Authorization': `Bearer ${accessToken}` };

let messageId = null;
let lastEventId = 0;
let finished = false;

// Reads SSE events from a response: blank-line separated, "event:", "data:" and "id:" fields.
async function readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll('\r\n', '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message', data = '', id = null;
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
        else if (line.startsWith('id:')) id = Number(line.slice(3).trim());
      }
      if (!data) continue; // a ": keep-alive" comment
      if (id !== null) lastEventId = id;
      const payload = JSON.parse(data);
      if (event === 'meta') messageId = payload.messageId;
      else if (event === 'chunk') process.stdout.write(payload.text);
      else if (event === 'cost') console.log(`\n$${payload.totalCost} (${payload.inputTokens} in, ${payload.outputTokens} out)`);
      else if (event === 'error') console.error(`\nfailed: ${payload.error}`);
      if (event === 'done' || event === 'error') finished = true;
    }
  }
}

const response = await fetch(`${base}/api/command-center/message`, {
  method: 'POST',
  headers: { ...auth, 'Content-Type': 'application/json' },
  body: JSON.stringify({ agentId: process.env.CC_AGENT, conversationId: null, message: process.env.CC_MESSAGE ?? 'Hello!' }),
});
if (!response.ok) {
  throw new Error(`${response.status}: ${(await response.json()).error}`);
}

try {
  await readEvents(response);
} catch (e) {
  console.error(`\n(connection lost: ${e.message})`);
}

// A stopped reply ends with its cost and no "done"; a cut connection ends with neither. Resume the latter.
for (let attempt = 1; !finished && messageId && attempt <= 3; attempt++) {
  const resumed = await fetch(`${base}/api/command-center/messages/${messageId}/events`, {
    headers: { ...auth, 'Last-Event-ID': String(lastEventId) },
  });
  if (!resumed.ok) {
    console.error(`resume: ${resumed.status} ${(await resumed.json()).error}`);
    break;
  }
  try {
    await readEvents(resumed);
    break;
  } catch (e) {
    console.error(`\n(connection lost again: ${e.message})`);
  }
}
