// Serves public/ (found through path.join(__dirname, 'public'), so oxpack packs the folder) and /api/time.
const path = require('path');
const express = require('express');

const app = express();
app.use(express.static(path.join(__dirname, 'public')));
app.get('/api/time', (_req, res) => res.json({ now: new Date().toISOString(), node: process.version }));
const server = app.listen(Number(process.env.PORT ?? 3000), () => console.log(`listening on http://localhost:${server.address().port}`));
