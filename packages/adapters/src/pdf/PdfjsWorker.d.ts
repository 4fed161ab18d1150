// pdfjs-dist ships no types for its worker module; it is loaded only to run PDF.js's worker in this thread.
declare module "pdfjs-dist/legacy/build/pdf.worker.mjs" {
  export const WorkerMessageHandler: unknown
}
