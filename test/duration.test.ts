import t from 'tap';
import { formatDuration, parseDuration } from '../src/config/duration.js';

t.test('parses Go duration syntax', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['500ms', 500],
    ['2s', 2000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['0', 0],
    ['0s', 0],
    ['-1s', -1000],
    ['1500us', 1.5],
    ['2x', undefined],
    ['', undefined],
    ['s', undefined],
    ['10', undefined],
    ['1s2', undefined],
  ];
  for (const [text, ms] of cases) t.equal(parseDuration(text), ms, JSON.stringify(text));
});

t.test('formats as Go Duration.String()', async (t) => {
  const cases: Array<[number, string]> = [
    [500, '500ms'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [10_000, '10s'],
    [0, '0s'],
    [0.5, '500µs'],
    [250.5, '250.5ms'],
    [-2000, '-2s'],
  ];
  for (const [ms, text] of cases) t.equal(formatDuration(ms), text, `${ms}ms`);
});

t.test('format and parse round-trip', async (t) => {
  for (const ms of [1, 100, 999, 1000, 61_000, 7_261_000]) t.equal(parseDuration(formatDuration(ms)), ms);
});
