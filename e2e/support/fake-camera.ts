import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The camera every browser test's Chromium sees: a small, slow Y4M clip instead of Chromium's
 * built-in fake device (640 × 480 at 30 fps, which every page then encodes and every partner
 * decodes in software). The specs check that video flows, is placed and stops, never its
 * resolution, so a 160 × 120 picture at 10 fps serves them as well for a fraction of the CPU on
 * a 2-core machine running two browsers, two app servers and the rest at once.
 *
 * The clip: 20 frames (2 s, looped by Chromium) of a calm gradient that drifts, so consecutive
 * frames differ and a receiver sees frames arrive.
 */
const WIDTH = 160;
const HEIGHT = 120;
const FPS = 10;
const FRAMES = 20;

/** Writes the clip under `dir` (once; atomically) and returns its path. */
export function fakeCameraFile(dir: string): string {
  const file = path.join(dir, `fake-camera-${WIDTH}x${HEIGHT}-${FPS}fps.y4m`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const header = `YUV4MPEG2 W${WIDTH} H${HEIGHT} F${FPS}:1 Ip A1:1 C420jpeg\n`;
  const lumaSize = WIDTH * HEIGHT;
  const chromaSize = (WIDTH / 2) * (HEIGHT / 2);
  const frameSize = "FRAME\n".length + lumaSize + 2 * chromaSize;
  const out = Buffer.alloc(header.length + FRAMES * frameSize);
  let at = out.write(header, 0, "latin1");
  for (let f = 0; f < FRAMES; f++) {
    at += out.write("FRAME\n", at, "latin1");
    const shift = (f * 6) % WIDTH;
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        out[at++] = 70 + Math.round((((x + shift) % WIDTH) / WIDTH) * 80 + (y / HEIGHT) * 30);
      }
    }
    // A warm, muted tint: U a little below grey, V a little above.
    out.fill(118, at, at + chromaSize);
    at += chromaSize;
    out.fill(140, at, at + chromaSize);
    at += chromaSize;
  }
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, out);
  renameSync(partial, file);
  return file;
}
