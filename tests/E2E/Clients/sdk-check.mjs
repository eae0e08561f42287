// Runs the official TypeScript SDK once through each endpoint and prints ONE JSON object of what it received:
//
//   ANTHROPIC_BASE_URL=http://127.0.0.1:PORT ANTHROPIC_API_KEY=cc_… node sdk-check.mjs [model]
//
// The key may come as ANTHROPIC_AUTH_TOKEN instead (SDK 1.x sends either as "Authorization: Bearer").
// The model is the first argument, else ANTHROPIC_MODEL, else claude-sonnet-5-5.
// On an API error it prints {"error": {status, type, message, step}} and exits 1.
import Anthropic from '@anthropic-ai/sdk';

const model = process.argv[2] ?? process.env.ANTHROPIC_MODEL ?? 'claude-sonnet-5-5';
// No retries: a test should see a failure as the client first met it.
const client = new Anthropic({ maxRetries: 0 });
const request = { model, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] };
const textOf = (message) => message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

let step = 'stream';
try {
  const stream = client.messages.stream(request);
  let streamedText = '';
  stream.on('text', (delta) => { streamedText += delta; });
  const final = await stream.finalMessage();

  step = 'create';
  const message = await client.messages.create({ ...request, stream: false });

  step = 'countTokens';
  const count = await client.messages.countTokens({ model, messages: request.messages });

  step = 'models';
  const models = [];
  for await (const info of client.models.list()) models.push(info.id); // fetches every page

  print({
    stream: { text: streamedText, finalText: textOf(final), id: final.id, model: final.model, stopReason: final.stop_reason, usage: final.usage },
    message: { text: textOf(message), id: message.id, model: message.model, stopReason: message.stop_reason, usage: message.usage },
    countTokens: count.input_tokens,
    models,
  });
} catch (err) {
  if (!(err instanceof Anthropic.APIError)) throw err;
  // status is undefined when no response came (a connection error).
  print({ error: { status: err.status ?? null, type: err.type, message: err.apiMessage ?? err.message, step } });
  process.exitCode = 1;
}

function print(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}
