export * from './parse';
export * from './format';
export { TABLE_FORMS, detectForm, type TableForm } from './grid';
export { TABLE1_EXAMPLE } from './example';
