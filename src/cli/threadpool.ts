// Imported first by main.ts, before anything touches the libuv thread pool: file writes, fsyncs
// and hashing of concurrent pushes all queue on it, and the default of 4 threads serialises
// the fsyncs of more than four pushes. An explicit UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= '16';
