import { runMain } from '@airbench-ts-example/cli';
import { main } from './main';

runMain('browser', main);
