import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/countReporter.ts'],
    testTimeout: 120_000,
    // Live kernel tests share global kernel state (the proc inode allocator, the netns reaper):
    // the probe serialises itself with a lock file, and these files run one at a time.
    fileParallelism: true,
  },
});
