// The benchmark corpus: the test fixtures plus bigger generated pages shaped like real ones
// (a shop listing with lazy images and srcsets, a blog with a large inline script and JSON, a docs
// page with long text). Deterministic: the same bytes every run.
import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir, loadRules } from '../test/fixtures/cdn/fixtures.js';

export { fixturesDir, loadRules };

export interface CorpusPage { name: string; pageUrl: string; charset?: string; body: Buffer }

function shopListing(products: number): string {
  const cards: string[] = [];
  for (let i = 0; i < products; i++) {
    cards.push(`<div class="card" data-id="${i}">
  <a href="/p/${i}/boot-${i}"><img class="lazyload" src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==" data-src="/media/p/${i}/thumb.jpg" data-srcset="/media/p/${i}/thumb.jpg 1x, /media/p/${i}/thumb@2x.jpg 2x" alt="Boot &quot;${i}&quot;" width="300" height="300"></a>
  <picture><source type="image/webp" srcset="/media/p/${i}/a.webp?w=300&amp;q=80 300w, /media/p/${i}/a.webp?w=600&amp;q=80 600w"><img src="/media/p/${i}/a.jpg?w=300" alt=""></picture>
  <h3 class="title"><a href="/p/${i}/boot-${i}">Winterstiefel Modell ${i} — wasserdicht, gefüttert</a></h3>
  <p class="desc">Robuster Stiefel aus Leder mit Profilsohle. Größen 36–47. Lieferung in 2–3 Werktagen.</p>
  <span class="price">${(49 + (i % 90)).toFixed(2).replace('.', ',')}&nbsp;&euro;</span>
  <button class="add" onclick="cart.add(${i}, '/api/cart')">In den Warenkorb</button>
</div>\n`);
  }
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Stiefel</title>
<link rel="stylesheet" href="/static/css/app.css"><link rel="preload" as="font" href="/static/fonts/inter.woff2" crossorigin>
<style>.hero{background:url(/media/hero.webp)} .card{border:1px solid #ddd;padding:8px} .icon{background:url("/static/img/sprite.svg")}</style>
</head><body><header><img src="/static/img/logo.svg" alt="Shop"></header><main class="grid">\n${cards.join('')}</main>
<script>window.__STATE__=${JSON.stringify({ products: Array.from({ length: products }, (_, i) => ({ id: i, img: `/media/p/${i}/thumb.jpg`, price: 49 + i })) })};</script>
<script src="/static/js/app.js" defer></script></body></html>\n`;
}

function blogPost(paragraphs: number): string {
  const ps: string[] = [];
  for (let i = 0; i < paragraphs; i++) {
    ps.push(`<p>Paragraph ${i}: the scheduler spreads packets over the nodes with a Maglev table; a node's response goes straight to the client. See <a href="/2024/0${1 + (i % 9)}/post-${i}/">an earlier post</a> and <em>the figure</em> below.</p>\n`);
    if (i % 5 === 0) ps.push(`<figure><img src="/wp-content/uploads/2024/05/fig-${i}-1024x576.jpg" srcset="/wp-content/uploads/2024/05/fig-${i}-1024x576.jpg 1024w, /wp-content/uploads/2024/05/fig-${i}-300x169.jpg 300w" sizes="(max-width: 1024px) 100vw, 1024px" alt=""><figcaption>Figure ${i}</figcaption></figure>\n`);
    if (i % 7 === 0) ps.push(`<!-- ad slot ${i}: <img src="/wp-content/ads/${i}.png"> -->\n`);
  }
  const script = `var config = ${JSON.stringify({ urls: Array.from({ length: 300 }, (_, i) => `/wp-content/uploads/x${i}.png`) })};\nfunction f(a,b){ return a < b ? "<img src='/x.png'>" : b; }\n`.repeat(4);
  return `<!DOCTYPE html><html><head><meta charset="UTF-8"><title>Blog</title>
<link rel='stylesheet' href='/wp-content/themes/plain/style.css?ver=6.4.2' type='text/css' media='all' />
<script>${script}</script></head><body><article>\n${ps.join('')}</article>
<p style="background:url(/wp-content/uploads/texture.png)">x</p></body></html>\n`;
}

export function loadCorpus(): CorpusPage[] {
  const pages: CorpusPage[] = [];
  for (const f of fs.readdirSync(fixturesDir).filter((n) => n.endsWith('.expected.json')).sort()) {
    const name = f.replace('.expected.json', '');
    const meta = JSON.parse(fs.readFileSync(path.join(fixturesDir, f), 'utf8')) as { pageUrl: string; charset?: string };
    pages.push({ name, pageUrl: meta.pageUrl, charset: meta.charset, body: fs.readFileSync(path.join(fixturesDir, `${name}.html`)) });
  }
  pages.push({ name: 'shop-listing', pageUrl: 'https://shop.example.com/de/stiefel', body: Buffer.from(shopListing(400)) });
  pages.push({ name: 'long-blog-post', pageUrl: 'http://blog.example.org/2024/05/long/', body: Buffer.from(blogPost(600)) });
  return pages;
}

/** The chunk size the benchmarks feed the rewriter with. */
export const CHUNK = 16 * 1024;

export const chunksOf = (b: Buffer): Buffer[] => Array.from({ length: Math.ceil(b.length / CHUNK) }, (_, i) => b.subarray(i * CHUNK, (i + 1) * CHUNK));

/**
 * Tokenizer callbacks that do nothing: the tokenizer alone. Methods of a class, as the
 * rewriter's are: the benchmark runs both through the same tokenizer functions, whose callback
 * sites then see two kinds of object. With an object of plain function fields (not constants
 * to the optimizing compiler) the sites fell back to a generic call for both, and the rewriter
 * run after it took 11 % more instructions a corpus pass than on its own.
 */
class NoopCallbacks {
  onattribdata(): void {}
  onattribentity(): void {}
  onattribend(): void {}
  onattribname(): void {}
  oncdata(): void {}
  onclosetag(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onend(): void {}
  onopentagend(): void {}
  onopentagname(): void {}
  onprocessinginstruction(): void {}
  onselfclosingtag(): void {}
  ontext(): void {}
  ontextentity(): void {}
}

export const noopTokenizerCallbacks = new NoopCallbacks();
