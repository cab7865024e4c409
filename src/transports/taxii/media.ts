/**
 * How a lintas envelope travels through a TAXII 2.1 server (docs/TRANSPORTS.md, "TAXII 2.1"):
 * as a STIX 2.1 `artifact` cyber-observable object whose `payload_bin` is the envelope in base64
 * and whose `mime_type` is `application/vnd.lintas.envelope`. Every TAXII server stores STIX
 * objects unchanged, so no server-side support is needed. The object carries nothing else: no
 * mailbox id, no sender, no hash that would link it to a copy of the same envelope elsewhere
 * (the collection it is posted to already routes it), and its id is a random UUIDv4, which
 * STIX 2.1 allows for cyber-observables.
 */
import { LintasError } from '../../errors/index.js';
import { systemRandom } from '../../crypto/random.js';
import { fromBase64, isBase64, toBase64 } from '../base64.js';

/** The TAXII 2.1 media type, for Accept and Content-Type (TAXII 2.1 section 1.6.8). */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
/** The STIX 2.1 media type a collection lists in `media_types` for the objects lintas posts. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';
/** The `mime_type` of an artifact that holds a lintas envelope. */
export const ENVELOPE_MIME_TYPE = 'application/vnd.lintas.envelope';

/** A STIX 2.1 artifact carrying one envelope. */
export interface EnvelopeArtifact {
  type: 'artifact';
  spec_version: '2.1';
  id: string;
  mime_type: typeof ENVELOPE_MIME_TYPE;
  payload_bin: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STIX_ID = /^[a-z0-9][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A random RFC 9562 version 4 UUID. */
export function randomUuid(): string {
  const b = systemRandom(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** True for a STIX identifier (`type--uuid`), the shape TAXII object ids take. */
export function isStixId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 300 && STIX_ID.test(value);
}

/** True for a lower-case UUID, as TAXII uses for collection and status ids (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The artifact that carries `envelope`. */
export function envelopeArtifact(envelope: Uint8Array): EnvelopeArtifact {
  return { type: 'artifact', spec_version: '2.1', id: `artifact--${randomUuid()}`, mime_type: ENVELOPE_MIME_TYPE, payload_bin: toBase64(envelope) };
}

/**
 * The envelope inside a STIX object, or null when the object is not a lintas envelope artifact
 * (a collection may hold other STIX content: "not mine"). An object that claims to be one but
 * whose payload is not canonical base64 is "mine but broken": `ERR_TAXII_PROTOCOL`.
 */
export function envelopeFromObject(object: unknown): Uint8Array | null {
  if (object === null || typeof object !== 'object') return null;
  const o = object as Record<string, unknown>;
  if (o.type !== 'artifact' || o.mime_type !== ENVELOPE_MIME_TYPE) return null;
  if (typeof o.payload_bin !== 'string' || !isBase64(o.payload_bin)) {
    throw new LintasError('ERR_TAXII_PROTOCOL', `TAXII object ${String(o.id)} is a lintas envelope artifact without a valid base64 payload_bin`);
  }
  return fromBase64(o.payload_bin);
}

/** Bytes of a posted TAXII envelope besides the base64 payload: {"objects":[{...,"payload_bin":"..."}]} is under this. */
export const ARTIFACT_OVERHEAD_BYTES = 220;
