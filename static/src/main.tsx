import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';
import { makeQueryClient } from './lib/queryClient';
import './index.css';

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App queryClient={makeQueryClient()} />
  </StrictMode>,
);
