/**
 * `npm run preview:shots [dir]`: screenshots of a 4-section digest at 600 px and 375 px, light
 * and dark, for a person to look at. Needs Chromium (`/usr/bin/chromium`, or `CHROMIUM=…`).
 */
import { takeScreenshots } from '../tests/support/shots.js';

const shots = await takeScreenshots(process.argv[2]);
for (const shot of shots) console.log(`${shot.width}px ${shot.scheme}: ${shot.file}`);
