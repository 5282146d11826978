import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mono 16-bit PCM WAV of a sine tone: real audio any decoder accepts, made without tools. */
export function sineWav(options: { seconds?: number; sampleRate?: number; frequency?: number } = {}): Buffer {
  const sampleRate = options.sampleRate ?? 16_000;
  const samples = Math.round((options.seconds ?? 1) * sampleRate);
  const frequency = options.frequency ?? 440;
  const data = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index += 1) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * index) / sampleRate) * 12_000), index * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const espeak = '/usr/bin/espeak-ng';

/**
 * Spoken words as a WAV: espeak-ng when the machine has it (Debian package `espeak-ng`, installed by
 * .ci/run), otherwise a tone of about the same length. Either way a real RIFF/WAVE file.
 */
export function spokenWav(text: string): Buffer {
  if (existsSync(espeak)) {
    const directory = mkdtempSync(join(tmpdir(), 'switchyard-speech-'));
    try {
      const path = join(directory, 'speech.wav');
      execFileSync(espeak, ['-w', path, text], { stdio: 'ignore', timeout: 30_000 });
      return readFileSync(path);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
  return sineWav({ seconds: Math.max(1, text.split(/\s+/).length * 0.4) });
}

/** Seconds of audio a PCM WAV holds, from its `fmt ` and `data` chunks; undefined for anything else. */
export function wavSeconds(bytes: Buffer): number | undefined {
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') {
    return undefined;
  }
  let byteRate: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= bytes.length) byteRate = bytes.readUInt32LE(offset + 16);
    if (id === 'data' && byteRate) {
      // espeak-ng writes 0x7fffffff-ish sizes when streaming: trust the bytes that are really there.
      return Math.min(size, bytes.length - offset - 8) / byteRate;
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
