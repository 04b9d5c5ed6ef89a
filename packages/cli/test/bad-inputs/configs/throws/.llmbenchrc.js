throw new Error('settings.json is missing');
