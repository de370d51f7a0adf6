// Mermaid's own parser (the `mermaid` package, a dev dependency), for the tests: reads a JSON
// array of diagram texts on stdin and writes a JSON array with, for each, null when Mermaid
// parses it or the first line of its parse error. A separate process because mermaid is an ES
// module and the tests are compiled to CommonJS.
import mermaid from 'mermaid';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const diagrams = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const text of diagrams) {
  try {
    await mermaid.parse(text);
    results.push(null);
  } catch (err) {
    results.push(String(err?.message ?? err).split('\n').slice(0, 3).join(' '));
  }
}
process.stdout.write(JSON.stringify(results));
