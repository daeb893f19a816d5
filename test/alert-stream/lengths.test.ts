/**
 * Real captures through the length and line-ending quirks: no Content-Length, some, one that is
 * 10 bytes short or long (the part is re-read up to its real delimiter: nothing is lost), LF-only
 * line ends. Split at every byte.
 */
import { LENGTH_VARIANTS } from './support.ts';
import { describeVariants } from './variants.ts';

describeVariants('length and line-ending quirks', LENGTH_VARIANTS);
