// Copies node and credential icons next to the compiled files, where n8n resolves `file:` icon paths.
const { src, dest, parallel } = require('gulp');

function nodeIcons() {
	return src(['nodes/**/*.{svg,png}', 'nodes/**/*.node.json'], { encoding: false }).pipe(dest('dist/nodes'));
}

function credentialIcons() {
	return src('credentials/**/*.{svg,png}', { encoding: false }).pipe(dest('dist/credentials'));
}

function sharedIcons() {
	return src('icons/**/*.{svg,png}', { encoding: false }).pipe(dest('dist/icons'));
}

exports['build:icons'] = parallel(nodeIcons, credentialIcons, sharedIcons);
