export { searchFolders, searchMessages } from './listSearch';
