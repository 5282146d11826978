export { createComfyUIProvider, defaultPollIntervalMs } from './comfyui';
export {
  type ComfyNode,
  type ComfyWorkflow,
  defaultCheckpoint,
  defaultSdxlWorkflow,
  fillWorkflow,
  parseWorkflowTemplate,
} from './comfyui/workflow';
export { createImageProvider } from './create-image-provider';
export { createOpenAIImagesProvider } from './openai-images';
export { createPlaceholderImageProvider } from './placeholder';
export * from './solid-png';
export * from './spec';
