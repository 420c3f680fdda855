// TLS termination (claims 7, 8): one secure context per certificate, built once at start-up;
// SNI picks among them (exact names first, then *.wildcards, else the first certificate).
// TLS 1.2 and 1.3, ALPN http/1.1. Session tickets are encrypted with keys shared by every
// worker, so a session resumes whichever worker the kernel hands the connection to.
import { X509Certificate, constants, createPrivateKey, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { LbError } from '../errors.js';
import type { ListenerTlsOptions } from './types.js';

export function newTicketKeys(): Buffer { return randomBytes(48); }

/** The names a certificate covers: configured servernames, else its subject alt names and CN. */
function certificateNames(pem: string, configured: string[] | undefined, index: number): string[] {
  if (configured !== undefined) return configured.map((n) => n.toLowerCase());
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (e) {
    throw new LbError('ERR_TLS_CERT_INVALID', `Certificate ${index + 1} is not a valid PEM certificate: ${(e as Error).message}.`);
  }
  const names = (cert.subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
  const cn = /CN=([^\n,]+)/.exec(cert.subject)?.[1];
  if (names.length === 0 && cn !== undefined) names.push(cn.toLowerCase());
  return names;
}

export interface TlsServerSetup {
  options: tls.TlsOptions;
  /** For tests: which certificate index a servername selects. */
  select(servername: string): number;
}

export function tlsServerSetup(o: ListenerTlsOptions): TlsServerSetup {
  if (o.certificates.length === 0) throw new LbError('ERR_TLS_CERT_MISSING', 'A TLS listener needs at least one certificate and key.');
  const minVersion = o.minVersion ?? 'TLSv1.2';
  const contexts = o.certificates.map((c, i) => {
    try {
      new X509Certificate(c.cert);
    } catch (e) {
      throw new LbError('ERR_TLS_CERT_INVALID', `Certificate ${i + 1} is not a valid PEM certificate: ${(e as Error).message}.`);
    }
    try {
      createPrivateKey(c.key);
    } catch (e) {
      throw new LbError('ERR_TLS_KEY_INVALID', `The key of certificate ${i + 1} is not a valid PEM private key: ${(e as Error).message}.`);
    }
    try {
      return tls.createSecureContext({ cert: c.cert, key: c.key, minVersion });
    } catch (e) {
      const msg = (e as Error).message;
      const code = /key values mismatch/i.test(msg) ? 'ERR_TLS_CERT_KEY_MISMATCH' : 'ERR_TLS_CERT_INVALID';
      throw new LbError(code, `Certificate ${i + 1} cannot be used: ${msg}.`);
    }
  });
  const exact = new Map<string, number>();
  const wildcard = new Map<string, number>();
  o.certificates.forEach((c, i) => {
    for (const n of certificateNames(c.cert, c.servernames, i)) {
      if (n.startsWith('*.')) { if (!wildcard.has(n.slice(2))) wildcard.set(n.slice(2), i); } else if (!exact.has(n)) exact.set(n, i);
    }
  });
  const select = (servername: string): number => {
    const n = servername.toLowerCase();
    const hit = exact.get(n);
    if (hit !== undefined) return hit;
    const dot = n.indexOf('.');
    return dot < 0 ? 0 : wildcard.get(n.slice(dot + 1)) ?? 0;
  };
  const first = o.certificates[0];
  return {
    select,
    options: {
      cert: first.cert,
      key: first.key,
      minVersion,
      maxVersion: 'TLSv1.3',
      ALPNProtocols: ['http/1.1'],
      // With one certificate there is nothing to choose: no JS callback in every handshake.
      SNICallback: contexts.length === 1 ? undefined : (servername, cb) => cb(null, contexts[select(servername)]),
      ticketKeys: o.ticketKeys ?? newTicketKeys(),
      sessionTimeout: o.sessionTimeoutSeconds ?? 300,
      secureOptions: o.sessionTickets === false ? constants.SSL_OP_NO_TICKET : 0,
    },
  };
}
