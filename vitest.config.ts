import { defineConfig } from 'vitest/config';

// Live kernel tests share global kernel state (the proc inode allocator, the netns reaper): they
// run after the others, one file at a time, so that nothing else makes or frees namespaces
// meanwhile. The probe also serialises itself with a lock file.
const LIVE = ['test/live/**/*.test.ts', 'test/probe/live.test.ts', 'test/probe/*.live.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/countReporter.ts'],
    testTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: LIVE, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'live', include: LIVE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
