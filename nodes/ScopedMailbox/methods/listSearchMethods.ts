export { searchFolders } from './listSearch';
