/**
 * Two tiers, chosen by path so new tests land in the right one without a list to maintain:
 * - `npm test`: every test under test/, the 3,000-message trigger soak, the real-n8n end-to-end tests
 *   (test/e2e/, run after `npm test` installed n8n) and the bench's own tests included. CI runs this.
 * - `npm run test:fast` (SCOPED_MAILBOX_TIER=fast): the inner loop without the soak, test/e2e/ and test/bench/.
 */
const FAST_TIER_SKIPS = ['<rootDir>/test/e2e/', '<rootDir>/test/bench/', '<rootDir>/test/trigger/soak\\.test\\.ts$'];

module.exports = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
	testMatch: ['<rootDir>/test/**/*.test.ts'],
	testPathIgnorePatterns: [
		'/node_modules/',
		'/dist/',
		...(process.env.SCOPED_MAILBOX_TIER === 'fast' ? FAST_TIER_SKIPS : []),
	],
	testTimeout: 60_000,
	maxWorkers: 2,
	globalSetup: '<rootDir>/test/jest/global-setup.js',
	globalTeardown: '<rootDir>/test/jest/global-teardown.js',
};
