import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { portableExp, portableLog } from "../../../src/models/native/portable-math.js";

/** A double's 64 bits as hex: the golden tables compare bits, which are the same in every engine. */
function bits(value: number): string {
  return Buffer.from(new Float64Array([value]).buffer)
    .readBigUInt64LE()
    .toString(16)
    .padStart(16, "0");
}

// Written down from fdlibm's algorithms on Node 20, whose Math.exp and Math.log give the same bits.
const expTable: [number, string][] = [
  [-745.2, "0000000000000000"],
  [-745.1, "0000000000000001"],
  [-709.5, "00054e90c99fb878"],
  [-708.2, "001378faeaa24275"],
  [-100.25, "36e4acd31e167ebb"],
  [-30.5, "3d2ff3864232b407"],
  [-17.463095784187317, "3e5bf9a8f5f6793a"],
  [-1.5, "3fcc8f87724b5c1d"],
  [-0.7, "3fdfc80db9dd5542"],
  [-0.3, "3fe7b4c869c37c05"],
  [-1e-9, "3fefffffff768fa1"],
  [0, "3ff0000000000000"],
  [1e-9, "3ff000000044b830"],
  [0.3, "3ff599058c8c1a96"],
  [0.7, "40001c2a61268987"],
  [1, "4005bf0a8b145769"],
  [1.5, "4011ed3fe64fc541"],
  [2.5, "40285d6fd931e0bb"],
  [10.125, "40d85fd05c6fe7ab"],
  [300.75, "5b0da96ac93f511a"],
  [709.5, "7fe81e9b4b52d0c9"],
  [709.8, "7ff0000000000000"],
];
const logTable: [number, string][] = [
  [5e-324, "c0874385446d71c3"],
  [1e-310, "c0864e69394d9508"],
  [1e-300, "c085963447f87fb5"],
  [1e-9, "c034b927f32bffb8"],
  [0.1, "c0026bb1bbb55515"],
  [0.5, "bfe62e42fefa39ef"],
  [0.999999, "beb0c6f82d74d230"],
  [1, "0000000000000000"],
  [1.000001, "3eb0c6f713f33a1d"],
  [2, "3fe62e42fefa39ef"],
  [3, "3ff193ea7aad030a"],
  [222.78485162353516, "40159ff499c25d20"],
  [300, "4016d0ac5a6095d8"],
  [1000000, "402ba18a998fffa0"],
  [1.7976931348623157e308, "40862e42fefa39ef"],
];

test("portable exp and log give the golden bits, the same in every engine", () => {
  for (const [x, expected] of expTable) assert.equal(bits(portableExp(x)), expected, `exp(${x})`);
  for (const [x, expected] of logTable) assert.equal(bits(portableLog(x)), expected, `log(${x})`);
  assert.ok(
    Number.isNaN(portableExp(Number.NaN)) &&
      Number.isNaN(portableLog(-1)) &&
      Number.isNaN(portableLog(Number.NaN)),
  );
  assert.equal(portableExp(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  assert.equal(portableExp(Number.NEGATIVE_INFINITY), 0);
  assert.equal(portableLog(0), Number.NEGATIVE_INFINITY);
  assert.equal(portableLog(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
});

// V8 up to version 11 (Node 20) computes Math.exp and Math.log with fdlibm: there the two must agree bit for bit,
// which is what keeps every prediction Node made before these functions existed. Later engines may differ.
const fdlibmEngine = Number(process.versions.v8.split(".")[0]) <= 11;

test("on Node 20 they equal Math.exp and Math.log bit for bit, on any double", () => {
  const anyDouble = fc.double({ noNaN: false });
  const softmaxRange = fc.double({ min: -60, max: 0, noNaN: true });
  fc.assert(
    fc.property(fc.oneof(anyDouble, softmaxRange, fc.double({ min: -746, max: 710, noNaN: true })), (x) => {
      const exp = portableExp(x);
      const log = portableLog(x);
      if (fdlibmEngine) {
        assert.ok(Object.is(exp, Math.exp(x)), `exp(${x}): ${exp} vs ${Math.exp(x)}`);
        assert.ok(Object.is(log, Math.log(x)), `log(${x}): ${log} vs ${Math.log(x)}`);
      } else {
        // Elsewhere the engine's own functions may be a last bit away: never more.
        assert.ok(
          Math.abs(exp - Math.exp(x)) <= Math.abs(Math.exp(x)) * 2.3e-16 || Object.is(exp, Math.exp(x)),
        );
      }
    }),
    { numRuns: 20_000, seed: 5 },
  );
});
