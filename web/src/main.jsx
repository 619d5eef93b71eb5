// main.jsx — entry point: styles, then the shell into <div id="app">.
import { render } from 'preact';
import './styles/app.css';
import { App } from './app.jsx';

render(<App />, document.getElementById('app'));
