// The rewriter as a Transform stream: bytes in, rewritten bytes out, chunk by chunk.
import { Transform } from 'node:stream';
import { HtmlRewriter, type RewriterOptions } from './rewriter.js';

export function createRewriteStream(options: RewriterOptions): Transform {
  const rewriter = new HtmlRewriter(options);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const out = rewriter.write(chunk);
      if (out.length > 0) this.push(out);
      done();
    },
    flush(done) {
      const out = rewriter.end();
      if (out.length > 0) this.push(out);
      done();
    },
  });
}
