// Event ids made on the device: UUIDv7 (RFC 9562), time-ordered like the gateway's request ids, so edge events land
// at the end of the request log's index too.

type RandomSource = (bytes: Uint8Array) => Uint8Array;

/** WebCrypto's randomness; Math.random where there is none (React Native without a polyfill): ids need uniqueness, not secrecy. */
function randomBytes(count: number): Uint8Array {
  const crypto = (globalThis as { crypto?: { getRandomValues?: RandomSource } }).crypto;
  const bytes = new Uint8Array(count);
  if (crypto?.getRandomValues !== undefined) return crypto.getRandomValues(bytes);
  for (let i = 0; i < count; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, "0");

/** The 4,096 sequence numbers' three hex digits, made once: an accepted prediction's id is then concatenation only. */
let sequenceDigits: string[] | undefined;

/**
 * A source of UUIDv7s: `tttttttt-tttt-7sss-vrrr-rrrrrrrrrrrr`, 48 bits of Unix time in ms, a 12-bit sequence
 * within the millisecond (RFC 9562's method 1; past 4,096 ids in one ms the time steps ahead), and 62 random bits
 * drawn once per source. Two devices differ by those bits, one device's ids by time and sequence. An accepted
 * prediction pays for one id, so it costs a string concatenation, not a draw of randomness.
 */
export function createEventIdSource(): () => string {
  const random = randomBytes(8);
  // The variant (binary 10) in the top bits of the first byte.
  random[0] = ((random[0] as number) & 0x3f) | 0x80;
  let tail = "";
  for (const byte of random) tail += hex(byte, 2);
  tail = `-${tail.slice(0, 4)}-${tail.slice(4)}`;
  let millisecond = -1;
  let sequence = 0;
  let prefix = "";
  sequenceDigits ??= Array.from({ length: 4096 }, (_, value) => hex(value, 3));
  const digits = sequenceDigits;
  return () => {
    const now = Date.now();
    if (now > millisecond) {
      millisecond = now;
      sequence = 0;
    } else if (++sequence > 0xfff) {
      millisecond++;
      sequence = 0;
    } else return prefix + (digits[sequence] as string) + tail;
    const time = hex(millisecond, 12);
    prefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
    return prefix + (digits[sequence] as string) + tail;
  };
}
