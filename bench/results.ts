import type { Machine } from './machine';
import type { ColdStartResult } from './measure-cold-start';
import type { ThroughputResult } from './measure-load';
import type { OpenStreamsResult } from './measure-open-streams';
import type { StreamingResult } from './measure-streaming';
import type { Noise } from './noise';
import type { ProcessMemory } from './processes';
import type { ProfileSummary } from './profile';
import type { TargetName, UsageReport } from './targets';
import type { LoadResult } from './worker-protocol';

export interface PeakPhaseUsage {
  rows: number;
  insertStatements: number;
  rowsPerInsert: number;
}

export interface PhaseNoise extends Noise {
  phase: string;
  waitedForQuietMs: number;
}

export interface TargetResult {
  name: TargetName;
  label: string;
  startupMs: number | null;
  /** RSS after start, key creation and one settings change, before any load. */
  idle: ProcessMemory | null;
  /** RSS right after the restart that follows the open-streams phase. */
  idleAfterRestart: ProcessMemory | null;
  /** c=1, every response time recorded. */
  latency: LoadResult | null;
  throughput: ThroughputResult[];
  /** After the throughput runs (VmHWM there includes the open-streams phase, which runs first). */
  afterLoad: ProcessMemory | null;
  /** Paced upstream chunks: time to first token. */
  streaming: StreamingResult | null;
  /** Back-to-back upstream chunks: gateway work per chunk. */
  streamingBurst: StreamingResult | null;
  openStreams: OpenStreamsResult | null;
  usage: UsageReport | null;
  /** Usage rows and INSERTs during the highest-concurrency run alone (server mode reads them live). */
  peakPhaseUsage: PeakPhaseUsage | null;
  /** CPU other processes on the machine used during each measurement. */
  noise: PhaseNoise[];
  errors: string[];
}

export interface BenchSettings {
  durationSeconds: number;
  warmupSeconds: number;
  concurrencies: number[];
  streamingRequests: number;
  /** Paced run (time to first token): chunks and the pause between them. */
  pacedChunks: number;
  pacedDelayMs: number;
  /** Burst run (per-chunk overhead): chunks written back to back. */
  streamingChunks: number;
  /** Open streams asked of a one-process target (limited by the open-files limit). */
  openStreams: number;
  openStreamsRequested: number;
  /** Open streams asked of the 2-worker server: 10,000 when two processes' limits allow it. */
  openStreamsMultiWorker: number;
  openFilesLimit: number;
  coldStartRepetitions: number;
  profileSeconds: number;
}

export interface BenchResults {
  name: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: Machine;
  settings: BenchSettings;
  /** `switchyard api --workers` exists in this checkout. */
  workersSupported: boolean;
  notes: string[];
  targets: Partial<Record<TargetName, TargetResult>>;
  coldStart: ColdStartResult | null;
  /** Embedded always; server mode too with --profile-server. */
  profiles: ProfileSummary[];
}

/** A target's result before anything was measured: every figure null or empty. */
export function emptyTargetResult(name: TargetName, label: string, startupMs: number | null): TargetResult {
  return {
    name,
    label,
    startupMs,
    idle: null,
    idleAfterRestart: null,
    latency: null,
    throughput: [],
    afterLoad: null,
    streaming: null,
    streamingBurst: null,
    openStreams: null,
    usage: null,
    peakPhaseUsage: null,
    noise: [],
    errors: [],
  };
}
