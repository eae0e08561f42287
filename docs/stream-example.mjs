// Streams one message from Command Center's SSE API with fetch (EventSource cannot POST).
const base = process.env.CC_URL ?? 'http://127.0.0.1:5000';
const login = await fetch(`${base}/api/auth/login`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ email: process.env.CC_EMAIL, password: process.env.CC_PASSWORD }),
});
const { accessToken } = await login.json();

const response = await fetch(`${base}/api/command-center/message`, {
  method: 'POST',
  headers: { 'Authorization': `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ agentId: process.env.CC_AGENT, conversationId: null, message: 'Hello!' }),
});
if (!response.ok) {
  throw new Error(`${response.status}: ${(await response.json()).error}`);
}

// Split the byte stream into SSE events: blank-line separated, "event:" and "data:" fields.
const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
let buffer = '';
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  buffer += value.replaceAll('\r\n', '\n');
  let end;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    let event = 'message', data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trimStart();
    }
    if (!data) continue; // a ": keep-alive" comment
    const payload = JSON.parse(data);
    if (event === 'chunk') process.stdout.write(payload.text);
    else if (event === 'cost') console.log(`\n$${payload.totalCost} (${payload.inputTokens} in, ${payload.outputTokens} out)`);
    else if (event === 'error') console.error(`\nfailed: ${payload.error}`);
  }
}
