export { createAudioProvider } from './create-audio-provider';
export { createOpenAIAudioProvider } from './openai-audio';
export * from './spec';
export { transcriptContentType } from './transcript';
export { createWhisperCppProvider } from './whisper-cpp';
