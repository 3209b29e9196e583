/** ApplicationFailure types thrown by activities; workflows switch on them. */
export const ErrorType = {
  JobFailed: 'JobFailed',
  JobTimeout: 'JobTimeout',
  SpecInvalid: 'SpecInvalid',
  GitCheckoutFailed: 'GitCheckoutFailed',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
