/** One jest run covers unit, emulator, n8n-core node tests and the real-n8n end-to-end tests. */
module.exports = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
	testMatch: ['<rootDir>/test/**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '/dist/'],
	testTimeout: 60_000,
	maxWorkers: 2,
	globalSetup: '<rootDir>/test/jest/global-setup.js',
	globalTeardown: '<rootDir>/test/jest/global-teardown.js',
};
