import t from 'tap';
import { native } from '../engine/native.js';
t.equal(native.version(), '0.1.0', 'addon loads');
