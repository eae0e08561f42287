// The official TypeScript SDK through Command Center's gateway, as the README shows it:
//
//   cd tests/E2E/Clients && npm ci      # @anthropic-ai/sdk, pinned
//   ANTHROPIC_BASE_URL=http://127.0.0.1:5000 ANTHROPIC_API_KEY=cc_… node ../../../docs/gateway-example.mjs
//
// The SDK sends the integration key as "Authorization: Bearer"; Command Center prices, budgets and traces the call.
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic(); // ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the environment
const stream = client.messages.stream({
  model: process.argv[2] ?? 'claude-sonnet-5-5',  // or "agent:Assistant" to run an agent
  max_tokens: 512,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
stream.on('text', (text) => process.stdout.write(text));
const message = await stream.finalMessage();
console.log(`\n${message.usage.input_tokens} in, ${message.usage.output_tokens} out`);
