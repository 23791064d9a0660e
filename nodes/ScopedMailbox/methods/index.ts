export * as listSearch from './listSearchMethods';
