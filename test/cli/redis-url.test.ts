import { describe, expect, it } from 'vitest';
import { isRedisVia, parseRedisVia, redact } from '../../src/cli/redis-url.js';

describe('Redis --via URLs', () => {
  it('parses one server, a cluster and a sentinel, with credentials and options', () => {
    expect(parseRedisVia('redis://127.0.0.1:6379')).toMatchObject({ topology: 'server', tls: false, url: 'redis://127.0.0.1:6379', nodes: [{ host: '127.0.0.1', port: 6379 }] });
    const c = parseRedisVia('rediss+cluster://send-bin:p%40ss@10.0.0.1:7000,[::1]:7001?sender=bin');
    expect(c).toMatchObject({ topology: 'cluster', tls: true, username: 'send-bin', password: 'p@ss', sender: 'bin' });
    expect(c.nodes).toEqual([{ host: '10.0.0.1', port: 7000 }, { host: '::1', port: 7001 }]);
    const s = parseRedisVia('redis+sentinel://s1:26379,s2:26379/mymaster?senders=a,b&accept-risk=loss-on-restart');
    expect(s).toMatchObject({ topology: 'sentinel', masterName: 'mymaster', senders: ['a', 'b'], acceptRisks: ['loss-on-restart'] });
    expect(parseRedisVia('redis://u:pw@h:1/2').url).toBe('redis://u:pw@h:1/2');
    // node-redis splits its URL by the WHATWG rules: credentials go to it percent-encoded, as parsed here.
    const raw = parseRedisVia('redis://desk:se/cr@et%3F@h:1/2?sender=a');
    expect(raw).toMatchObject({ username: 'desk', password: 'se/cr@et?', url: 'redis://desk:se%2Fcr%40et%3F@h:1/2' });
    expect(new URL(raw.url)).toMatchObject({ hostname: 'h', port: '1', pathname: '/2' });
    expect(decodeURIComponent(new URL(raw.url).password)).toBe('se/cr@et?');
  });

  it('refuses malformed URLs and unknown options as usage errors', () => {
    for (const via of ['redis+cluster://h1', 'redis://h:0', 'redis://h:1,h:2', 'redis+sentinel://h:1', 'redis://h:1?mode=fast']) {
      expect(() => parseRedisVia(via), via).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }) as unknown as Error);
    }
    expect(isRedisVia('redis+cluster://')).toBe(false);
    expect(isRedisVia('https://relay')).toBe(false);
  });

  it('keeps passwords out of messages', () => {
    expect(redact('redis+cluster://u:secret@h:1,h:2')).toBe('redis+cluster://u:***@h:1,h:2');
    // Split as the parser splits: a password with '/' or '@' in it was printed whole before.
    expect(redact('redis://u:se/cr@et@h:1/2?sender=a')).toBe('redis://u:***@h:1/2?sender=a');
    expect(redact('rediss://:p/w@h:1')).toBe('rediss://:***@h:1');
    expect(redact('redis://h:1/0?sender=a@b')).toBe('redis://h:1/0?sender=a@b');
    for (const via of ['redis://u:se/cr@et@h:1/2', 'redis+sentinel://u:a/b@s1:1,s2:2/m']) {
      const parsed = parseRedisVia(via);
      expect(redact(via)).not.toContain(parsed.password!);
    }
  });
});
