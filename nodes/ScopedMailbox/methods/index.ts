export * as listSearch from './listSearchMethods';
export * as loadOptions from './loadOptionsMethods';
