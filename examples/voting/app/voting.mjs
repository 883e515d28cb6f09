// The voting app's CGI program (RFC 3875): one script, two pages, picked by SCRIPT_NAME.
//   /vote    GET: the ballot. POST vote=cats|dogs: starts a record-vote task with Aloft's run()
//            (a fresh container per vote that writes the SQLite file), then 303 to /result.
//   /result  the tally, read from the same SQLite file (?format=json for machines).
// It runs in a fresh container per request; only the gateway and the database file outlive it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CHOICES = ['cats', 'dogs'];
const DB = '/data/votes.db';

function reply(status, type, body, extra = '') {
  process.stdout.write(`Status: ${status}\r\nContent-Type: ${type}\r\n${extra}\r\n${body}`);
}

function page(title, inner) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${inner}</body></html>\n`;
}

async function vote() {
  if (process.env.REQUEST_METHOD === 'GET' || process.env.REQUEST_METHOD === 'HEAD') {
    const buttons = CHOICES.map((c) => `<button name="vote" value="${c}">${c}</button>`).join(' ');
    return reply(
      '200 OK',
      'text/html; charset=utf-8',
      page(
        'Cats or dogs?',
        `<form method="post" action="${process.env.SCRIPT_NAME}">${buttons}</form><p><a href="/result">results</a></p>`,
      ),
    );
  }
  if (process.env.REQUEST_METHOD !== 'POST')
    return reply('405 Method Not Allowed', 'text/plain', 'use GET or POST\n', 'Allow: GET, POST\r\n');
  const length = Number(process.env.CONTENT_LENGTH ?? 0);
  const body = length > 0 ? readFileSync(0).subarray(0, length).toString('utf8') : '';
  const choice = new URLSearchParams(body).get('vote');
  if (!CHOICES.includes(choice))
    return reply('400 Bad Request', 'text/plain', `vote must be one of ${CHOICES.join(', ')}\n`);
  // The record-vote task: a container of its own, started per vote through the engine's socket.
  const { run } = await import('/app/aloft/sdk/functions/index.js');
  await run(process.env.VOTING_IMAGE, ['/app/record-vote.sh', choice], {
    binds: [`${process.env.VOTING_DATA}:/data`],
    network: 'none',
    scope: 'voting',
    timeoutMs: 20_000,
  });
  reply('303 See Other', 'text/plain', `recorded ${choice}\n`, 'Location: /result\r\n');
}

function result() {
  let rows = [];
  try {
    const out = execFileSync(
      'sqlite3',
      ['-readonly', '-json', DB, 'SELECT choice, count(*) AS n FROM votes GROUP BY choice'],
      { encoding: 'utf8' },
    );
    rows = out.trim() ? JSON.parse(out) : [];
  } catch {
    rows = []; // no vote yet: the task creates the table with the first vote
  }
  const tally = Object.fromEntries(CHOICES.map((c) => [c, rows.find((r) => r.choice === c)?.n ?? 0]));
  if (/(^|&)format=json(&|$)/.test(process.env.QUERY_STRING ?? ''))
    return reply('200 OK', 'application/json', `${JSON.stringify(tally)}\n`);
  const list = CHOICES.map((c) => `<li>${c}: ${tally[c]}</li>`).join('');
  reply(
    '200 OK',
    'text/html; charset=utf-8',
    page('Results', `<ul>${list}</ul><p><a href="/vote">vote</a></p>`),
  );
}

try {
  if (process.env.SCRIPT_NAME === '/result') result();
  else await vote();
} catch (e) {
  process.stderr.write(`voting: ${e.message}\n`);
  process.exitCode = 1;
}
