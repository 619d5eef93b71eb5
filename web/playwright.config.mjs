// Playwright configuration of the cabinet's end-to-end tests (web/e2e/*.spec.mjs).
// The browser is Debian's chromium (never downloaded); the server is the real trustmond,
// started by e2e/global-setup.mjs from the build folder in $TRUSTMON_BUILD
// (default ../build/werror). Tests run one at a time: they share one server and some
// of them change its state (a revocation, a blocked participant).
import { defineConfig } from '@playwright/test';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: './e2e',
  testMatch: '*.spec.mjs',
  globalSetup: './e2e/global-setup.mjs',
  outputDir: './e2e/test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  timeout: 45_000,
  expect: { timeout: 7_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.TRUSTMON_CHROMIUM || '/usr/bin/chromium',
      args: chromiumArgs,
    },
    locale: 'uk-UA',
    actionTimeout: 7_000,
    navigationTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'off',
    video: 'off',
    serviceWorkers: 'block',
  },
});
