export { getFolders } from './listSearch';
